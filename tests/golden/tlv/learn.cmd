# setup: private OVS 3.1 in ggo-sw (no ports, protocols OpenFlow10,OpenFlow13,OpenFlow15); each line of tests/golden/flows/tlv-learn.steps run as ovs-ofctl -vconsole:off CMD br0 ARGS
# normalize: flows
# exit status: 0
grep -v '^#' tests/golden/flows/tlv-learn.steps | while read -r cmd br args; do echo "\$ ovs-ofctl $cmd br0 $args"; ovs-ofctl -vconsole:off $cmd br0 $args 2>&1; echo "exit $?"; done
