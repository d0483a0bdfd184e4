# setup: private OVS 3.1 (tests/ovsref/ovs-env.sh), ports s6k-p1=1 s6k-p2=2, protocols OpenFlow10,13,14,15, fail-mode secure; the monitor runs while tests/golden/monitor/flowmon-steps.sh adds, modifies (changed, unchanged), replaces, deletes flows, one expires (hard_timeout=1) and a last flow is added; captured by tests/golden/monitor/capture-flowmon.sh; its "terminating with signal" line dropped
# normalize: monitor
# exit status: (stopped)
ovs-ofctl -O OpenFlow15 monitor br0 watch:out_port=2
