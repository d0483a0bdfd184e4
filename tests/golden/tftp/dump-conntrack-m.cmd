# setup: private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2); flows tests/golden/flows/tftp.flows; in ggo-right: traffic.py tftp-server 69 (answers from port 20069, 600 bytes in 2 blocks); in ggo-left: traffic.py tftp-client 20061 198.51.100.2 (RRQ from port 20061, ACKs to 20069); 0.5 s later
# normalize: conntrack
# exit status: 0
ovs-appctl dpctl/dump-conntrack -m
