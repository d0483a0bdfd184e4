# setup: as conntrack/dump-conntrack, then the commands in this order (limits, maxconns)
# normalize: plain
# exit status: 0
ovs-appctl dpctl/ct-get-limits zone=5\,7\,9
