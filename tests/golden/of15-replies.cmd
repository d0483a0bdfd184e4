# setup: private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13,OpenFlow15 fail-mode=secure dpid 0000000000000001 hwaddr 02:00:00:00:00:fe, ports ggo-p1=1 (02:00:00:00:00:01) ggo-p2=2 (02:00:00:00:00:02), veth peers idle (IPv6 off), set-controller br0 ptcp:17501:127.0.0.1; no flows or groups (cases run in order)
# exit status: 0
ip netns exec g11g-sw rawof -replies -of15 -addr 127.0.0.1:17501 -ofp-print > of15-replies.tsv   # rawof = go build ./tests/ovsref/rawof
# the flow-monitor-* and err-flow-monitor-* rows (OFPMP_FLOW_MONITOR, in table 200) were captured on their own and appended:
ip netns exec s6m-ref rawof -replies -of15 -only flow-monitor -addr 127.0.0.1:19001 -ofp-print   # tests/ovsref/ovs-env.sh -n s6m-ref -p s6m-p1=1 -p s6m-p2=2 -P OpenFlow10,OpenFlow13,OpenFlow15 -t 19001 -s; hello row dropped
# the nx-flow-monitor-*, onf-flow-monitor-* and their err- rows (Nicira's NXST_FLOW_MONITOR over OpenFlow 1.0 and ONF's ONFST_FLOW_MONITOR over 1.3, in table 200) were captured on their own and appended, each -only run on its own private OVS:
ip netns exec s6n-ref rawof -replies -of15 -only nx-flow-monitor -addr 127.0.0.1:19301 -ofp-print   # tests/ovsref/ovs-env.sh -n s6n-ref -p s6n-p1=1 -p s6n-p2=2 -P OpenFlow10,OpenFlow13,OpenFlow15 -t 19301 -s; header and hello rows dropped
ip netns exec s6n-ref rawof -replies -of15 -only onf-flow-monitor -addr 127.0.0.1:19301 -ofp-print   # likewise
