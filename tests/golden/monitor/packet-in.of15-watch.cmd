# setup: private OVS 3.1, ports ggo-p1=1 ggo-p2=2, fail-mode secure; ovs-ofctl -O OpenFlow13 add-flows br0 tests/golden/flows/packet-in.flows; the monitor below runs while, in this order, ovs-ofctl packet-out br0 'in_port=1 packet=HEX actions=table' injects UDP 198.51.100.1:20001 -> 198.51.100.2 ports 9999 9998 9997 9996 9995 (payload "hi", hex in capture.sh udp_hex); then the monitor is stopped (its own "terminating with signal 15" line is dropped)
# normalize: monitor
# exit status: (stopped)
ovs-ofctl -O OpenFlow15 monitor br0 65534 watch:
