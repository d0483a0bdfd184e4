# setup: as learn/dump-flows, then ovs-ofctl -O OpenFlow13 del-flows br0 table=0
# normalize: flows-hits
# exit status: 0
ovs-ofctl -O OpenFlow13 --sort=dl_dst --sort=nw_dst --sort dump-flows br0
