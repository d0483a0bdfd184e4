# setup: private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2); flows tests/golden/flows/learn-mac.flows; from ggo-left: ping -c 3 -i 0.2 198.51.100.2, then traffic.py tcp-client 17862 198.51.100.2 17861 (server on ggo-right: one line echoed, then FINs); 0.5 s later ovs-appctl revalidator/wait
# normalize: flows-hits
# exit status: 0
ovs-ofctl -O OpenFlow13 --sort=dl_dst --sort=nw_dst --sort dump-flows br0
