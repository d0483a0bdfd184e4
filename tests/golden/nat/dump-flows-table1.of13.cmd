# setup: private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1, 2001:db8::1) ggo-p2=2 (ggo-right 198.51.100.2, 2001:db8::2); flows tests/golden/flows/nat.flows; from ggo-left (traffic.py, fixed source ports): ping -c 2 198.51.100.2 and ping -6 -c 2 2001:db8::2 (SNAT); TCP 21011->198.51.100.2:7001 closed, TCP 21012->198.51.100.2:7001 held open, UDP 21013->198.51.100.2:7002 x2, UDP 21014->[2001:db8::2]:7002 (SNAT); TCP 21015->203.0.113.200:8080, UDP 21016->203.0.113.200:8081, ping -c 1 203.0.113.200 (DNAT); 0.7 s later
# normalize: flows-hits
# exit status: 0
ovs-ofctl -O OpenFlow13 dump-flows br0 table=1
