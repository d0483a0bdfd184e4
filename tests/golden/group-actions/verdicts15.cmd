# private OVS (ovs-vswitchd (Open vSwitch) 3.1.0), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13,OpenFlow15 fail-mode=secure, no ports; every case of tests/golden/group-actions/cases15.tsv in order: ovs-ofctl -O VERSION COMMAND br0 SPEC (verdicts15.tsv)
# verdict: ok, the OFPT_ERROR name, or ovs-ofctl's own message (nothing sent)
# tests/ovsref/capture-group-actions.sh of15
