# setup: as conntrack/dump-conntrack, then the commands in this order (limits, maxconns)
# normalize: plain
# exit status: 0
ovs-appctl dpctl/ct-set-limits default=100 zone=5\,limit=10 zone=7\,limit=3
