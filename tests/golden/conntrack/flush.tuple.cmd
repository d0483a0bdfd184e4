# setup: as conntrack/dump-conntrack (limits changed as in conntrack/limits.*), then flushes in this order
# normalize: plain
# exit status: 0
ovs-appctl dpctl/flush-conntrack ct_nw_src=198.51.100.1\,ct_nw_dst=198.51.100.2\,ct_nw_proto=17\,ct_tp_src=20004\,ct_tp_dst=7002
