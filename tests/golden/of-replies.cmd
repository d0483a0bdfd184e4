# setup: private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure dpid 0000000000000001 hwaddr 02:00:00:00:00:fe, ports ggo-p1=1 (02:00:00:00:00:01) ggo-p2=2 (02:00:00:00:00:02), set-controller br0 ptcp:17501:127.0.0.1; ovs-ofctl -O OpenFlow13 add-group br0 'group_id=1,type=all,bucket=output:1,bucket=output:2'; no flows (cases run in order; the packet-in cases add one)
# exit status: 0
ip netns exec ggo-sw rawof -replies -addr 127.0.0.1:17501 -ofp-print > of-replies.tsv   # rawof = go build ./tests/ovsref/rawof
