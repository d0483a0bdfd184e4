# setup: private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2); flows tests/golden/flows/learn-limit.flows; traffic.py udp-server 7002 on ggo-right; from ggo-left traffic.py udp-client P 198.51.100.2 7002 2 for P = 20041..20046 in turn (two datagrams each, echoed); 0.5 s later ovs-appctl revalidator/wait
# normalize: flows
# exit status: 0
ovs-ofctl -O OpenFlow13 --sort=tp_src --sort dump-flows br0
