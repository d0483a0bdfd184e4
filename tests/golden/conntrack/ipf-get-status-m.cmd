# setup: as conntrack/empty.*, then from ggo-left (tests/ovsref/traffic.py, fixed source ports): ping -c 2 198.51.100.2; ping -6 -c 2 2001:db8::2; TCP 20001->198.51.100.2:7001 and 20002->[2001:db8::2]:7001 (line echoed, closed); TCP 20003->198.51.100.2:7001 held open; UDP 20004->198.51.100.2:7002 x2 and 20005->[2001:db8::2]:7002 (echoed); UDP 20006->198.51.100.2:7999 (closed port: ICMP port unreachable); UDP 20007->198.51.100.2:7100 x2 (zone 5, mark 0x5, label 0xabcdef); ping -s 3000 v4 and v6 (fragmented); 0.7 s later
# normalize: ipf
# exit status: 0
ovs-appctl dpctl/ipf-get-status -m
