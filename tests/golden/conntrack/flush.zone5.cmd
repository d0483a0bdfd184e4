# setup: as conntrack/dump-conntrack (limits changed as in conntrack/limits.*), then flushes in this order
# normalize: plain
# exit status: 0
ovs-appctl dpctl/flush-conntrack zone=5
