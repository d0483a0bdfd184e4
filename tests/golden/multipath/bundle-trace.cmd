# setup: private OVS 3.1, port 1 (veth, idle), flows tests/golden/flows/bundle.flows; for each frame of tests/golden/flows/multipath.packets its name and ofproto/trace's Final flow
# normalize: plain
# exit status: 0
grep -v "^#" tests/golden/flows/multipath.packets | while IFS=$'\t' read -r name hex; do echo "packet $name"; ovs-appctl ofproto/trace br0 in_port=1 "$hex" | grep "^Final flow:"; done
