# setup: private OVS 3.1 (tests/ovsref/ovs-env.sh -n s5k-sw -s, no ports), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure; ovs-ofctl -O OpenFlow13 add-flows br0 tests/golden/flows/nshttl-aset.flows (exit status 0: dec_nsh_ttl is accepted in write_actions)
# normalize: flows
# exit status: 0
ovs-ofctl -O OpenFlow13 dump-flows br0 --no-stats
