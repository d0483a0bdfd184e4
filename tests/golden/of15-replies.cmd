# setup: private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13,OpenFlow15 fail-mode=secure dpid 0000000000000001 hwaddr 02:00:00:00:00:fe, ports ggo-p1=1 (02:00:00:00:00:01) ggo-p2=2 (02:00:00:00:00:02), veth peers idle (IPv6 off), set-controller br0 ptcp:17501:127.0.0.1; no flows or groups (cases run in order)
# exit status: 0
ip netns exec g11g-sw rawof -replies -of15 -addr 127.0.0.1:17501 -ofp-print > of15-replies.tsv   # rawof = go build ./tests/ovsref/rawof
