# setup: private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2); both hosts route 203.0.113.0/24 via 198.51.100.254 (static neighbour 02:00:00:00:01:fe); flows tests/golden/flows/ct-rewrite.flows; from ggo-right: traffic.py tcp-client 17602 203.0.113.1 17601 (the server on ggo-left echoes, the client closes); 0.7 s later
# normalize: conntrack
# exit status: 0
ovs-appctl dpctl/dump-conntrack
