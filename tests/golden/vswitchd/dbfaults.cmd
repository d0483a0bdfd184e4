# setup: private ovsdb-server and ovs-vswitchd (Open vSwitch) 3.1.0 in namespace s6c-dbf, started by tests/golden/vswitchd/dbfaults.sh (see its header); bridge br0 datapath_type=netdev put in the database file before any server runs; step 3 restarts the daemon with --disable-system
# normalize: plain
# exit status: 0
# OVS 3.1's log meanwhile (stderr, not compared): while no server listens,
#   reconnect|INFO|unix:DB: connecting...
#   reconnect|INFO|unix:DB: connection attempt failed (No such file or directory)
#   reconnect|INFO|unix:DB: waiting 2 seconds before reconnect   (then 4, 8 s)
#   reconnect|INFO|unix:DB: connected
# and nothing at all when its status transaction fails on the read-only server.
bash tests/golden/vswitchd/dbfaults.sh >tests/golden/vswitchd/dbfaults.txt
