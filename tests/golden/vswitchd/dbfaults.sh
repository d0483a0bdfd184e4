#!/usr/bin/env bash
# dbfaults.sh - the switch daemon and its database's faults, with OVS 3.1's
# ovs-vswitchd or with gswitch in its place (same command line):
#  1. started with --detach while no ovsdb-server listens: the parent
#     does not return; once the server appears the daemon reads its
#     configuration (a bridge br0 put in the database beforehand), then
#     --detach returns 0 (OVS's bridge_run: daemonize_complete after the
#     first configuration's transaction);
#  2. the daemon's write-back fails (ovsdb-server made a read-only backup,
#     ovsdb-server/connect-active-ovsdb-server to nowhere) while br0's
#     LOCAL device goes up; once the server is writable again the daemon
#     writes the Interface's admin_state/link_state (OVS's
#     status_txn_try_again: a failed status transaction is retried);
#  3. restarted with --disable-system: datapath_types is [netdev], bridges
#     of datapath_type system ("" too) are not created (nothing written to
#     their rows; ovs-vsctl says "Error detected while setting up") and
#     logged (ofproto warnings, bridge error); netdev bridges run.
# Prints what it sees to stdout; each daemon's own log lines about the
# database go to stderr (OVS's differ from gswitch's; not compared).
#
# Capture (as root): tests/golden/vswitchd/dbfaults.sh >tests/golden/vswitchd/dbfaults.txt
# TestPrivilegedVswitchdDBFaultsVsOVS runs it with gswitch and compares.
# Usage: dbfaults.sh [DAEMON]  (default ovs-vswitchd); CAPTURE_NS=NAME is
# the namespace (default s6c-dbf), made and removed here.
set -u -o pipefail
BIN=${1:-ovs-vswitchd}
NS=${CAPTURE_NS:-s6c-dbf}
D=$(mktemp -d /tmp/s6c-dbfaults.XXXXXX)
export OVS_RUNDIR=$D OVS_LOGDIR=$D OVS_DBDIR=$D
X() { ip netns exec "$NS" "$@"; }
V() { X ovs-vsctl --db="unix:$D/db.sock" --timeout=20 "$@"; }
DPID=""
cleanup() {
	X timeout 10 ovs-appctl exit --cleanup >/dev/null 2>&1
	[[ -n $DPID ]] && kill "$DPID" 2>/dev/null
	[[ -f $D/db.pid ]] && kill "$(cat "$D/db.pid")" 2>/dev/null
	sleep 0.3
	ip netns del "$NS" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
ip netns add "$NS" && X ip link set lo up || exit 1
ovsdb-tool create "$D/conf.db" /usr/share/openvswitch/vswitch.ovsschema || exit 1
ovsdb-tool transact "$D/conf.db" '["Open_vSwitch",
 {"op":"insert","table":"Interface","row":{"name":"br0","type":"internal"},"uuid-name":"i"},
 {"op":"insert","table":"Port","row":{"name":"br0","interfaces":["named-uuid","i"]},"uuid-name":"p"},
 {"op":"insert","table":"Bridge","row":{"name":"br0","datapath_type":"netdev","ports":["named-uuid","p"]},"uuid-name":"b"},
 {"op":"insert","table":"Open_vSwitch","row":{"bridges":["named-uuid","b"]}}]' >/dev/null || exit 1

echo "=== 1. --detach with no ovsdb-server"
X "$BIN" "unix:$D/db.sock" --pidfile --detach --no-chdir --log-file -vconsole:off &
DPID=$!
sleep 3
if kill -0 "$DPID" 2>/dev/null; then echo "after 3 s: --detach has not returned"; else wait "$DPID"; echo "after 3 s: --detach returned $?"; fi
X ovsdb-server "$D/conf.db" --remote="punix:$D/db.sock" --pidfile="$D/db.pid" --detach --no-chdir \
	--unixctl="$D/ovsdb.ctl" --log-file="$D/db.log" || exit 1
rc=timeout
for _ in $(seq 200); do
	if ! kill -0 "$DPID" 2>/dev/null; then wait "$DPID"; rc=$?; break; fi
	sleep 0.1
done
DPID=""
echo "ovsdb-server started: --detach returned: $rc"
echo "br0 ofport: $(V get interface br0 ofport)"
echo "cur_cfg: $(V get open_vswitch . cur_cfg)"
echo "datapath_types: $(V get open_vswitch . datapath_types)"
echo "br0 admin_state: $(V get interface br0 admin_state)"
grep -h 'db\.sock' "$D/ovs-vswitchd.log" | sed -E 's/^[^|]*\|[^|]*\|//; s#/tmp/[^:]*/db\.sock#DB#' | uniq >&2

echo "=== 2. the write-back fails (read-only database), then succeeds"
A() { ovs-appctl -t "$D/ovsdb.ctl" "$@"; }
A ovsdb-server/set-active-ovsdb-server "unix:$D/nowhere.sock" && A ovsdb-server/connect-active-ovsdb-server || exit 1
A ovsdb-server/sync-status | head -1
X ip link set br0 up
sleep 3
echo "read-only: br0 admin_state: $(V get interface br0 admin_state)"
A ovsdb-server/disconnect-active-ovsdb-server || exit 1
A ovsdb-server/sync-status | head -1
st=""
for _ in $(seq 100); do
	st=$(V get interface br0 admin_state)
	[[ $st == up ]] && break
	sleep 0.1
done
echo "writable again: br0 admin_state: $st"
grep -hiE 'transaction|write-back|read only' "$D/ovs-vswitchd.log" | sed -E 's/^[^|]*\|[^|]*\|//' | uniq >&2

echo "=== 3. --disable-system"
X ovs-appctl exit --cleanup || exit 1
for _ in $(seq 100); do [[ -e $D/ovs-vswitchd.pid ]] || break; sleep 0.1; done
rm -f "$D/ovs-vswitchd.log"
X "$BIN" "unix:$D/db.sock" --pidfile --detach --no-chdir --log-file -vconsole:off --disable-system || exit 1
echo "datapath_types: $(V get open_vswitch . datapath_types)"
V add-br br1 2>&1 | sed 's/ovs-vswitchd log/the log/; /default log directory/d'
V add-br br2 -- set bridge br2 datapath_type=system 2>&1 | sed 's/ovs-vswitchd log/the log/; /default log directory/d'
V add-br br3 -- set bridge br3 datapath_type=netdev
for b in br0 br1 br2 br3; do
	echo "$b: datapath_id $(V get bridge $b datapath_id), datapath_version $(V get bridge $b datapath_version)," \
		"interface ofport $(V get interface $b ofport), error $(V get interface $b error)"
done | sed -E 's/"[0-9a-f]{16}"/RANDOM/'  # the bridge address is random
X ovs-ofctl show br1 2>&1 | sed 's/^[^:]*: //'
echo "ovs-appctl ofproto/list:"
X ovs-appctl ofproto/list | sort
echo "log (sorted, each line once):"
grep -hE 'unknown datapath type|could not create datapath|failed to create bridge' "$D/ovs-vswitchd.log" |
	sed -E 's/^[^|]*\|[^|]*\|//' | sort -u
exit 0
