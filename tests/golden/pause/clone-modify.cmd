# setup: private OVS (ovs-vswitchd (Open vSwitch) 3.1.0), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports g11w-p1=1 g11w-p2=2 (veth peers g11w-p1-x, g11w-p2-x), ptcp:17940:127.0.0.1; tests/ovsref/capture-pause.sh (see its header); the flows below after del-flows and dpctl/flush-conntrack; tcpdump -nn -e -t -c 1 -i g11w-p2-x udp watches port 2 (port2: line)
# normalize: plain
# exit status: 0
ovs-ofctl -O OpenFlow13 add-flows br0 tests/golden/pause/clone.flows
pausectl -addr 127.0.0.1:17940 -in-port 1 -packet 02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270f000acdd56869 -mode modify -ofp-print   # pausectl = go build ./tests/ovsref/pausectl
