# setup: as conntrack/dump-conntrack, then the commands in this order (limits, maxconns)
# normalize: plain
# exit status: 0
ovs-appctl dpctl/ct-del-limits zone=7
