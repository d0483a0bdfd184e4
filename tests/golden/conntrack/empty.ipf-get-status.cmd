# setup: private OVS 3.1 in ggo-sw, ports ggo-p1=1 (to ggo-left 198.51.100.1, 2001:db8::1) ggo-p2=2 (to ggo-right 198.51.100.2, 2001:db8::2); flows tests/golden/flows/ct-firewall.flows + ct-zone-mark.flows; no traffic yet
# normalize: plain
# exit status: 0
ovs-appctl dpctl/ipf-get-status
