# setup: private OVS 3.1, ports ggo-p1=1 ggo-p2=2 (veth peers idle: nothing answers), flows tests/golden/flows/ct-firewall.flows; then, in this order, ovs-ofctl packet-out br0 'in_port=1 packet=HEX actions=table' of: tests/ovsref/traffic.py packet gre (IPv4 proto 47), syn (TCP SYN 20031->7001), ack (TCP ACK 20032->7001, no connection), udp6 (UDP 20033->7002 over IPv6), frag-first (IPv4 UDP first fragment only, id 0x1234), frag6-first (IPv6 first fragment only, id 0x5678)
# normalize: conntrack
# exit status: 0
ovs-appctl dpctl/dump-conntrack -s
