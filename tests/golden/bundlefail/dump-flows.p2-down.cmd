# setup: private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2) ggo-p3=3 (ggo-right2, the same addresses, IPv6 off); phase p2-down (p2-down: ip link set ggo-p2 down in ggo-sw; p2-up-again: up again), 1.5 s, del-flows and add-flows tests/golden/flows/bundle-failover.flows, from ggo-left: ping -c 3 -i 0.2 -W 2 198.51.100.2
# normalize: flows-hits
# exit status: 0
ovs-ofctl dump-flows br0
