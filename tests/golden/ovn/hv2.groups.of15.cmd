# setup: tests/ovn/capture-ovn.sh (OVN 23.03.1, chassis hv2's private OVS 3.1 (tests/ovsref/ovs-env.sh) br-int datapath_type=netdev, see README.md
# normalize: flows
# exit status: 0
ovs-ofctl -O OpenFlow15 dump-groups br-int
