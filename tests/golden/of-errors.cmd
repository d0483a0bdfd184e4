# setup: private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports ggo-p1=1 ggo-p2=2, set-controller br0 ptcp:17501:127.0.0.1, no flows or groups at start (cases run in order on fresh connections; the *-ok cases add flows/group 1)
# exit status: 0
ip netns exec ggo-sw rawof -addr 127.0.0.1:17501 -ofp-print > of-errors.tsv   # rawof = go build ./tests/ovsref/rawof
