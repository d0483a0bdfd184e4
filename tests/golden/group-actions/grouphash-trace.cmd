# setup: private OVS 3.1, port 1 (veth, idle), groups tests/golden/flows/grouphash.groups (-O OpenFlow15), table 0 actions=group:1,...,group:8; for each frame of tests/golden/flows/multipath.packets its name and ofproto/trace's bucket choices
# normalize: plain
# exit status: 0
grep -v "^#" tests/golden/flows/multipath.packets | while IFS=$'\t' read -r name hex; do echo "packet $name"; ovs-appctl ofproto/trace br0 in_port=1 "$hex" | grep -o "using bucket [0-9]*"; done
