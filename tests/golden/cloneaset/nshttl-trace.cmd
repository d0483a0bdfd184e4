# setup: private OVS 3.1 (tests/ovsref/ovs-env.sh -n s5k-sw -p s5k-p1=1 -p s5k-p2=2 -s), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure; ovs-ofctl -O OpenFlow13 add-flows br0 tests/golden/flows/nshttl-aset.flows; the datapath port of s5k-p2 is printed as ofport2
# normalize: plain
# exit status: 0
P2=$(ovs-appctl dpctl/show | sed -n "s/^ *port \([0-9]*\): s5k-p2\$/\1/p"); for ttl in 20 1; do echo "nsh_ttl $ttl"; ovs-appctl ofproto/trace br0 in_port=1,dl_type=0x894f,nsh_mdtype=1,nsh_np=3,nsh_spi=0x123456,nsh_si=9,nsh_ttl=$ttl | grep "^Datapath actions:" | sed "s/),$P2\$/),ofport2/"; done
