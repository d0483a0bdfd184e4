# setup: as conntrack/dump-conntrack (limits changed as in conntrack/limits.*), then flushes in this order
# normalize: conntrack
# exit status: 0
ovs-appctl dpctl/dump-conntrack
