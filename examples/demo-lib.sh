# Shared by the examples/*/demo.sh scripts (sourced, not run).
# The caller sets HERE, SWITCH (gswitch or ovs), NS_SW, TMP, PIDS (array),
# FAILED, OVS_UP, and the list DEMO_NS of the namespaces it creates.
# MODE (environment) picks how gswitch is configured: "flags" (the default:
# gswitch --bridge br0 --port ...) or "db" (scripts/gswitch-ctl starts
# ovsdb-server and gswitch unix:db.sock in TMP, and br0 and its ports are
# made with ovs-vsctl, as with ovs-vswitchd).
# shellcheck shell=bash
MODE=${MODE:-flags}
CTL_UP=0

# demo_pick_switch [GSWITCH_BINARY]: checks what SWITCH needs (the gswitch
# binary, or the private-OVS helpers, which it sources).
demo_pick_switch() {
	case $SWITCH in
	gswitch)
		GSWITCH=${1:-$(command -v gswitch || true)}
		[[ -x $GSWITCH ]] || { echo "demo: no gswitch binary (run make build)" >&2; exit 1; }
		;;
	ovs)
		OVSENV=$HERE/../../tests/ovsref/ovs-env.sh
		[[ -r $OVSENV ]] || { echo "demo: $OVSENV missing" >&2; exit 1; }
		# shellcheck source=../tests/ovsref/ovs-env.sh
		source "$OVSENV"
		;;
	*) echo "demo: SWITCH must be gswitch or ovs" >&2; exit 2 ;;
	esac
	case $MODE in
	flags) ;;
	db)
		GSWITCH_CTL=$HERE/../../scripts/gswitch-ctl
		[[ -r $GSWITCH_CTL ]] || { echo "demo: $GSWITCH_CTL missing" >&2; exit 1; }
		;;
	*) echo "demo: MODE must be flags or db" >&2; exit 2 ;;
	esac
}

# gswitch_ctl ARGS...: scripts/gswitch-ctl in NS_SW with every file in TMP.
gswitch_ctl() {
	ip netns exec "$NS_SW" bash "$GSWITCH_CTL" --rundir="$TMP" --logdir="$TMP" --dbdir="$TMP" --timeout=20 \
		--gswitch="$GSWITCH" --system-id=gswitch-demo "$@"
}

# demo_cleanup: stops the processes in PIDS (by PID), the private OVS, and
# removes the namespaces and TMP.
demo_cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	if [[ $OVS_UP == 1 ]]; then ovsenv_stop || true; fi
	if [[ $CTL_UP == 1 ]]; then gswitch_ctl stop >/dev/null || true; fi
	for n in $DEMO_NS; do ip netns del "$n" 2>/dev/null || true; done
	rm -rf "$TMP"
}

swx() { ip netns exec "$NS_SW" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
check() { # check "what" expected(0 ok / 1 blocked) command...
	local what=$1 want=$2 rc=0; shift 2
	"$@" >"$TMP/check.out" 2>&1 || rc=1
	if [[ $rc == "$want" ]]; then
		echo "  ok:   $what"
	else
		echo "  FAIL: $what"; sed 's/^/        /' "$TMP/check.out"; FAILED=1
	fi
}

# demo_start_br0: bridge br0 in NS_SW with eth0 as port 1 and veth1 as
# port 2, fail-mode secure, on gswitch or a private OVS; sets
# dump_conntrack and DUMP. For OVS, the caller first turns the hosts' TX
# checksum offload off (OVS 3.1's userspace conntrack cannot take partial
# checksums from a veth; gswitch can).
demo_start_br0() {
	if [[ $SWITCH == ovs ]]; then
		say "Open vSwitch: bridge br0 (datapath_type=netdev), ports eth0=1 veth1=2, fail-mode secure"
		OVS_UP=1
		ovsenv_start -n "$NS_SW" -p eth0=1 -p veth1=2 -s || { echo "demo: OVS did not start" >&2; exit 1; }
		dump_conntrack() { ovsenv_appctl dpctl/dump-conntrack; }
		DUMP="ovs-appctl dpctl/dump-conntrack"
	elif [[ $MODE == db ]]; then
		say "gswitch-ctl start (ovsdb-server, gswitch unix:$TMP/db.sock); ovs-vsctl add-br br0, ports eth0=1 veth1=2, fail-mode secure"
		CTL_UP=1
		gswitch_ctl start || { echo "demo: gswitch-ctl start failed" >&2; exit 1; }
		swx ovs-vsctl --db="unix:$TMP/db.sock" --timeout=20 add-br br0 \
			-- set bridge br0 datapath_type=netdev fail_mode=secure \
			-- add-port br0 eth0 -- set interface eth0 ofport_request=1 \
			-- add-port br0 veth1 -- set interface veth1 ofport_request=2
		swx ovs-vsctl --db="unix:$TMP/db.sock" show
		dump_conntrack() { ovs-appctl dpctl/dump-conntrack; }
		DUMP="ovs-appctl dpctl/dump-conntrack   (plain: gswitch holds ovs-vswitchd's pid file in OVS_RUNDIR)"
	else
		say "gswitch --bridge br0 --port eth0 --port veth1 --ctl $TMP/gswitch.ctl"
		# Started with `ip netns exec` directly, not inside a backgrounded
		# function: it execs, so $! is the switch itself and cleanup stops it.
		ip netns exec "$NS_SW" "$GSWITCH" --bridge br0 --port eth0 --port veth1 --of-listen ptcp:6653:127.0.0.1 \
			--fail-mode secure --ctl "$TMP/gswitch.ctl" >"$TMP/gswitch.log" 2>&1 &
		PIDS+=($!)
		for _ in $(seq 100); do swx ovs-ofctl show br0 >/dev/null 2>&1 && break; sleep 0.1; done
		dump_conntrack() { "$GSWITCH" ctl --ctl "$TMP/gswitch.ctl" dump-conntrack; }
		DUMP="gswitch ctl dump-conntrack   (ovs-appctl -t $TMP/gswitch.ctl dpctl/dump-conntrack works too)"
	fi
	swx ovs-ofctl show br0
}

# demo_add_flows FILE LABEL: adds FILE's "table=" lines to br0 with plain
# ovs-ofctl add-flow, one command each, as a user would type them.
demo_add_flows() {
	local file=$1 label=$2 f
	say "ovs-ofctl add-flow br0 ... ($label, $(grep -c '^table' "$file") flows)"
	while read -r f; do
		echo "ovs-ofctl add-flow br0 \"$f\""
		swx ovs-ofctl add-flow br0 "$f" || { echo "demo: br0 refused this flow" >&2; exit 1; }
	done < <(grep '^table' "$file")
}
