# setup: private OVS (ovs-vswitchd (Open vSwitch) 3.1.0) from tests/ovsref/ovs-env.sh (ovs-vswitchd DB --pidfile --unixctl --log-file --detach --no-chdir), bridge br0 datapath_type=netdev, no ports; tests/ovsref/capture-vswitchd.sh (see its header)
# normalize: plain
# exit status: 0
while read step; do echo "=== $step"; ovs-appctl $step; echo "rc=$?"; done < tests/golden/vswitchd/appctl.steps
