# setup: bad arguments, on the same OVS; output is ovs-appctl's stderr, exit status in this file
# normalize: plain
# exit status: 2
ovs-appctl dpctl/flush-conntrack ct_nw_src=abc
