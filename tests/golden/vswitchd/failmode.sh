#!/usr/bin/env bash
# failmode.sh - how controllers and fail_mode set with ovs-vsctl change a
# bridge's flow table, with OVS 3.1's ovs-vswitchd or with gswitch in its
# place (same command line): a passive controller (ptcp:, a service
# connection) leaves the flows alone and can be reached; fail_mode changes
# with no active controller flush the table (standalone: then the NORMAL
# flow); the first active controller and the last one flush it; a passive
# Controller row's is_connected, role and status stay empty; the Controller
# type column (primary/service) overrides the target's default and is kept
# while the target stays; restarted with flow-restore-wait=true, no
# controller is configured until it turns false (the last steps). Prints each
# step's flows (sorted, without counters and ages) to stdout.
#
# Capture (as root): tests/golden/vswitchd/failmode.sh >tests/golden/vswitchd/failmode.txt
# TestPrivilegedVswitchdFailModeVsOVS runs it with gswitch and compares.
# Usage: failmode.sh [DAEMON]  (default ovs-vswitchd); CAPTURE_NS=NAME is
# the namespace (default s6d-fm), made and removed here.
set -u -o pipefail
BIN=${1:-ovs-vswitchd}
NS=${CAPTURE_NS:-s6d-fm}
D=$(mktemp -d /tmp/s6d-failmode.XXXXXX)
export OVS_RUNDIR=$D OVS_LOGDIR=$D OVS_DBDIR=$D
X() { ip netns exec "$NS" "$@"; }
V() { X ovs-vsctl --db="unix:$D/db.sock" --timeout=20 "$@"; }
cleanup() {
	X timeout 10 ovs-appctl exit --cleanup >/dev/null 2>&1
	[[ -f $D/db.pid ]] && kill "$(cat "$D/db.pid")" 2>/dev/null
	sleep 0.3
	ip netns del "$NS" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
ip netns add "$NS" && X ip link set lo up || exit 1
ovsdb-tool create "$D/conf.db" /usr/share/openvswitch/vswitch.ovsschema || exit 1
X ovsdb-server "$D/conf.db" --remote="punix:$D/db.sock" --pidfile="$D/db.pid" --detach --no-chdir \
	--log-file="$D/db.log" || exit 1
V --no-wait init || exit 1
X "$BIN" "unix:$D/db.sock" --pidfile --detach --no-chdir --log-file -vconsole:off || exit 1
flows() {
	echo "=== $1"
	X ovs-ofctl dump-flows br0 | sed -E 's/ (duration|n_packets|n_bytes|idle_age)=[^,]*,//g' | grep -v '^NXST_FLOW' | sort
}
V add-br br0 -- set bridge br0 datapath_type=netdev
X ovs-ofctl add-flow br0 priority=5,cookie=0x5,actions=drop
flows "standalone, no controller"
V set-controller br0 ptcp:19163:127.0.0.1
flows "passive controller ptcp:19163:127.0.0.1"
for _ in $(seq 50); do X ovs-ofctl show tcp:127.0.0.1:19163 >/dev/null 2>&1 && break; sleep 0.1; done
if X ovs-ofctl show tcp:127.0.0.1:19163 >/dev/null 2>&1; then echo "ovs-ofctl show tcp:127.0.0.1:19163: ok"; else echo "ovs-ofctl show tcp:127.0.0.1:19163: failed"; fi
V --columns=target,is_connected,role,status list controller
V del-controller br0
flows "passive controller removed"
if X ovs-ofctl show tcp:127.0.0.1:19163 >/dev/null 2>&1; then echo "ovs-ofctl show tcp:127.0.0.1:19163: ok"; else echo "ovs-ofctl show tcp:127.0.0.1:19163: failed"; fi
V set bridge br0 fail_mode=secure
flows "fail_mode=secure"
X ovs-ofctl add-flow br0 priority=6,cookie=0x6,actions=drop
V set bridge br0 fail_mode=standalone
flows "fail_mode=standalone"
X ovs-ofctl add-flow br0 priority=7,cookie=0x7,actions=drop
V set-controller br0 tcp:127.0.0.1:19164
flows "active controller tcp:127.0.0.1:19164 (none listening)"
X ovs-ofctl add-flow br0 priority=8,cookie=0x8,actions=drop
V set bridge br0 fail_mode=secure
flows "active controller, fail_mode=secure"
V set-controller br0 tcp:127.0.0.1:19164 ptcp:19163:127.0.0.1
flows "active and passive controllers"
V set-controller br0 ptcp:19163:127.0.0.1
flows "passive controller only, fail_mode=secure"
V set bridge br0 fail_mode=standalone
flows "passive controller only, fail_mode=standalone"
# The Controller type column (primary/service) overrides the target's
# default (active: primary, passive: service). OVS 3.1 keeps the type a
# controller was added with while its target stays (connmgr_has_controllers
# reads ofservice->type, set when the service is created; a new row with
# the same target keeps the service too).
V del-controller br0
X ovs-ofctl add-flow br0 priority=9,cookie=0x9,actions=drop
V -- --id=@c create controller target='"ptcp:19163:127.0.0.1"' type=primary -- set bridge br0 controller=@c >/dev/null
flows "passive controller type=primary"
if X ovs-ofctl show tcp:127.0.0.1:19163 >/dev/null 2>&1; then echo "ovs-ofctl show tcp:127.0.0.1:19163: ok"; else echo "ovs-ofctl show tcp:127.0.0.1:19163: failed"; fi
X ovs-ofctl add-flow br0 priority=10,cookie=0xa,actions=drop
V set controller br0 type=service
flows "passive controller: type changed to service"
V del-controller br0
flows "no controller"
X ovs-ofctl add-flow br0 priority=11,cookie=0xb,actions=drop
V -- --id=@c create controller target='"tcp:127.0.0.1:19164"' type=service -- set bridge br0 controller=@c >/dev/null
flows "active controller type=service"
V -- --id=@c create controller target='"tcp:127.0.0.1:19164"' type=primary -- set bridge br0 controller=@c >/dev/null
flows "active controller: a new row, type=primary, same target"
V del-controller br0
flows "no controller"
X ovs-ofctl add-flow br0 priority=12,cookie=0xc,actions=drop
V -- --id=@c create controller target='"tcp:127.0.0.1:19164"' -- --id=@d create controller target='"ptcp:19163:127.0.0.1"' type=primary -- set bridge br0 controller=@c,@d >/dev/null
flows "active controller and passive type=primary"
X ovs-ofctl add-flow br0 priority=13,cookie=0xd,actions=drop
V -- --id=@d create controller target='"ptcp:19163:127.0.0.1"' type=primary -- set bridge br0 controller=@d >/dev/null
flows "passive type=primary only"
V set bridge br0 fail_mode=secure
flows "passive type=primary only, fail_mode=secure"
V del-controller br0
flows "no controller, fail_mode=secure"
# Open_vSwitch other_config:flow-restore-wait=true when the daemon starts
# (ovs-ctl restart, OVN upgrades): until it turns false the daemon adds no
# controller (not even a passive one) and no fail-mode flow, and flows
# added meanwhile (the saved flows) stay; then it proceeds. Once false it
# is not read again.
X ovs-appctl exit || exit 1
for _ in $(seq 100); do [[ -e $D/ovs-vswitchd.pid ]] || break; sleep 0.1; done
V --no-wait set open_vswitch . other_config:flow-restore-wait=true -- set bridge br0 fail_mode=standalone
X "$BIN" "unix:$D/db.sock" --pidfile --detach --no-chdir --log-file -vconsole:off || exit 1
flows "restarted with flow-restore-wait=true, fail_mode=standalone"
X ovs-ofctl add-flow br0 priority=20,cookie=0x14,actions=drop
V set-controller br0 tcp:127.0.0.1:19164 ptcp:19163:127.0.0.1
flows "flow-restore-wait: controllers set"
if X ovs-ofctl show tcp:127.0.0.1:19163 >/dev/null 2>&1; then echo "ovs-ofctl show tcp:127.0.0.1:19163: ok"; else echo "ovs-ofctl show tcp:127.0.0.1:19163: failed"; fi
V --columns=target,is_connected,role,status list controller | grep -v '^$' | sort
V del-controller br0
flows "flow-restore-wait: controllers removed"
V set-controller br0 ptcp:19163:127.0.0.1
V remove open_vswitch . other_config flow-restore-wait
flows "flow-restore-wait removed, passive controller"
for _ in $(seq 50); do X ovs-ofctl show tcp:127.0.0.1:19163 >/dev/null 2>&1 && break; sleep 0.1; done
if X ovs-ofctl show tcp:127.0.0.1:19163 >/dev/null 2>&1; then echo "ovs-ofctl show tcp:127.0.0.1:19163: ok"; else echo "ovs-ofctl show tcp:127.0.0.1:19163: failed"; fi
V set open_vswitch . other_config:flow-restore-wait=true
V set-controller br0 tcp:127.0.0.1:19164
flows "flow-restore-wait=true again (not read), active controller"
exit 0
