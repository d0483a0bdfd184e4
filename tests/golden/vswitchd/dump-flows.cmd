# setup: private OVS (ovs-vswitchd (Open vSwitch) 3.1.0) from tests/ovsref/ovs-env.sh, bridge br0 datapath_type=netdev (standalone), no ports; tests/golden/vswitchd/dump-flows.sh (see its header)
# normalize: plain
# exit status: 0
ovs-ofctl add-flows br0 tests/golden/vswitchd/dump-flows.flows; for a in br0 "--offload-stats br0" "--bogus br0"; do echo "=== bridge/dump-flows $a"; ovs-appctl bridge/dump-flows $a; done
