# setup: private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2); TLV map tests/golden/flows/tunnel.tlv, flows tests/golden/flows/tunnel.flows; from ggo-left: ping -c 3 -i 0.2 -W 2 198.51.100.2
# normalize: flows-hits
# exit status: 0
ovs-ofctl dump-flows br0
