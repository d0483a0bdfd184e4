# setup: private OVS (ovs-vswitchd (Open vSwitch) 3.1.0), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13,OpenFlow15 fail-mode=secure, no ports; every case of tests/golden/group-actions/cases15.tsv in order: ovs-ofctl -O VERSION COMMAND br0 SPEC (verdicts15.tsv)
# normalize: flows
# exit status: 0
ovs-ofctl -O OpenFlow10 dump-groups br0 2>&1 | normalize flows | LC_ALL=C sort
