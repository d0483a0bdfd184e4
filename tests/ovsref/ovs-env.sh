#!/usr/bin/env bash
# shellcheck shell=bash
# ovs-env.sh - a private, throw-away Open vSwitch (userspace datapath) for
# capturing reference output. Nothing of the system's OVS is used or touched:
# the database, sockets, pid files and logs all live in one temp dir, and
# OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR/OVS_SYSCONFDIR point there, so the plain
# `ovs-ofctl dump-flows br0` resolves to $T/br0.mgmt.
#
# Two ways to use it (as root):
#
#  1. As a script: start OVS, run one command with it, stop OVS.
#       tests/ovsref/ovs-env.sh [OPTIONS] -- COMMAND [ARGS...]
#     COMMAND runs inside the namespace with OVSENV_DIR (the temp dir),
#     (plain `ovs-appctl dpctl/...` works too: ovs-vswitchd.PID.ctl in $T is
#     a symlink to the --unixctl socket)
#     OVSENV_NS, OVSENV_CTL (vswitchd unixctl socket), OVSENV_DB and the
#     OVS_*DIR variables exported. Example:
#       tests/ovsref/ovs-env.sh -p ggo-p1=1 -p ggo-p2=2 -t 17501 -- \
#           sh -c 'ovs-ofctl add-flows br0 f.flows && ovs-ofctl dump-flows br0'
#       tests/ovsref/ovs-env.sh -- sh -c 'ovs-appctl -t "$OVSENV_CTL" dpctl/dump-conntrack'
#
#  2. As a library (capture.sh does this):
#       source tests/ovsref/ovs-env.sh
#       trap ovsenv_stop EXIT
#       ovsenv_start -n ggo-sw -p eth0=1 -p veth1=2 -t 17501 -s
#       ovsenv_ofctl -O OpenFlow13 dump-flows br0
#       ovsenv_appctl dpctl/dump-conntrack
#       ovsenv_stop
#     Only one private OVS per shell at a time.
#
# OPTIONS (both modes):
#   -n NS          network namespace for the daemons and ports (default ggo-sw;
#                  created if missing, and then deleted again by ovsenv_stop).
#                  -n '' runs in the current namespace.
#   -b BRIDGE      bridge name (default br0)
#   -p NAME[=OFPORT]  add interface NAME (must exist in NS; if it does not, a
#                  veth pair NAME / NAME-x is created inside NS) with
#                  ofport_request=OFPORT. Repeatable; ports keep their order.
#   -P PROTOCOLS   bridge protocols (default OpenFlow10,OpenFlow13)
#   -t PORT        passive OpenFlow listener ptcp:PORT:127.0.0.1 (in NS;
#                  gswitch tests use 17500-17599)
#   -c TARGET      set-controller TARGET (e.g. tcp:127.0.0.1:17502); with -t
#                  both are set
#   -s             set-fail-mode secure (no NORMAL flow at start)
#   -d DPID        datapath id, 16 hex digits (default 0000000000000001)
#   -m MAC         bridge local port MAC (default 02:00:00:00:00:fe)
#
# $T/owner holds the PID and start time of the shell that called ovsenv_start;
# `capture.sh cleanup` stops daemons left in /tmp/ggo-ovs.* only when that shell
# is gone (a run killed with SIGKILL, whose trap never ran).
#
# OVSENV_VSWITCHD (default ovs-vswitchd) is the switch daemon started with
# ovs-vswitchd's command line: a path to gswitch runs gswitch instead
# (tests/ovn/lib.sh does so for SWITCH=gswitch).
#
# The bridge is always datapath_type=netdev (userspace datapath and its
# userspace conntrack; no kernel module). Daemons are started with --detach
# and stopped by the PIDs in their pid files (exit --cleanup first, then TERM,
# then KILL) on every exit path.

OVSENV_SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
OVSENV_VSWITCHD=${OVSENV_VSWITCHD:-ovs-vswitchd}
OVSENV_DIR=""
OVSENV_NS=ggo-sw
OVSENV_BR=br0
OVSENV_CTL=""
OVSENV_DB=""
OVSENV_DB_PID=""
OVSENV_VS_PID=""
OVSENV_MADE_NS=""
OVSENV_OLD_ENV=""

ovsenv_log() { printf 'ovs-env: %s\n' "$*" >&2; }

# ovsenv_nsx CMD...: run CMD in the OVS namespace (or here when there is none)
ovsenv_nsx() {
	if [[ -n $OVSENV_NS ]]; then
		ip netns exec "$OVSENV_NS" "$@"
	else
		"$@"
	fi
}

ovsenv_vsctl() { ovs-vsctl --db="$OVSENV_DB" --timeout=20 "$@"; }
ovsenv_ofctl() { timeout 20 ovs-ofctl "$@"; }
ovsenv_appctl() { timeout 20 ovs-appctl -t "$OVSENV_CTL" "$@"; }

# ovsenv_pid PIDFILE NAME: the PID in PIDFILE, if that process is NAME
ovsenv_pid() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 1
	[[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == "$2"* ]] && echo "$pid"
}

ovsenv_alive() {
	local st
	[[ -r /proc/$1/stat ]] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[[ -n $st && $st != Z ]]
}

# ovsenv_kill PID GRACE: TERM, wait up to GRACE seconds, KILL. Our PIDs only.
ovsenv_kill() {
	local pid=$1 grace=${2:-5} i
	[[ -n $pid ]] || return 0
	ovsenv_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < grace * 10; i++)); do
		ovsenv_alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# ovsenv_starttime PID: the process's start time in clock ticks (field 22 of /proc/PID/stat)
ovsenv_starttime() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# ovsenv_owner_alive DIR: true if the shell that made the OVS run dir DIR still runs
ovsenv_owner_alive() {
	local pid st
	read -r pid st <"$1/owner" 2>/dev/null || return 1
	[[ -n $pid && -n $st && $(ovsenv_starttime "$pid") == "$st" ]]
}

ovsenv_start() {
	local protocols=OpenFlow10,OpenFlow13 ptcp="" ctl_target="" secure=0
	local dpid=0000000000000001 mac=02:00:00:00:00:fe opt name ofport
	local -a ports=() vs=()
	OPTIND=1
	while getopts "n:b:p:P:t:c:sd:m:" opt; do
		case $opt in
		n) OVSENV_NS=$OPTARG ;;
		b) OVSENV_BR=$OPTARG ;;
		p) ports+=("$OPTARG") ;;
		P) protocols=$OPTARG ;;
		t) ptcp=$OPTARG ;;
		c) ctl_target=$OPTARG ;;
		s) secure=1 ;;
		d) dpid=$OPTARG ;;
		m) mac=$OPTARG ;;
		*) ovsenv_log "bad option"; return 2 ;;
		esac
	done
	[[ -z $OVSENV_VS_PID && -z $OVSENV_DB_PID ]] || { ovsenv_log "already running"; return 1; }
	local c
	for c in ovsdb-tool ovsdb-server "$OVSENV_VSWITCHD" ovs-vsctl ovs-ofctl ovs-appctl; do
		command -v "$c" >/dev/null || { ovsenv_log "$c not installed (Debian: openvswitch-switch)"; return 1; }
	done
	[[ -r $OVSENV_SCHEMA ]] || { ovsenv_log "schema $OVSENV_SCHEMA missing"; return 1; }

	if [[ -n $OVSENV_NS ]] && ! ip netns list | grep -qw -- "^$OVSENV_NS"; then
		ip netns add "$OVSENV_NS" || return 1
		OVSENV_MADE_NS=$OVSENV_NS
	fi
	[[ -z $OVSENV_NS ]] || ip -n "$OVSENV_NS" link set lo up

	OVSENV_DIR=$(mktemp -d /tmp/ggo-ovs.XXXXXX) || return 1
	# owner: the shell that started this OVS, with its start time (so a cleanup
	# of killed runs can tell a live owner, and a reused PID, from a dead one)
	local me=$BASHPID
	echo "$me $(ovsenv_starttime "$me")" >"$OVSENV_DIR/owner"
	OVSENV_CTL=$OVSENV_DIR/ovs-vswitchd.ctl
	OVSENV_DB=unix:$OVSENV_DIR/db.sock
	export OVS_RUNDIR=$OVSENV_DIR OVS_DBDIR=$OVSENV_DIR OVS_LOGDIR=$OVSENV_DIR OVS_SYSCONFDIR=$OVSENV_DIR
	export OVSENV_DIR OVSENV_NS OVSENV_CTL OVSENV_DB OVSENV_BR

	ovsdb-tool create "$OVSENV_DIR/conf.db" "$OVSENV_SCHEMA" || return 1
	ovsenv_nsx ovsdb-server "$OVSENV_DIR/conf.db" --remote="punix:$OVSENV_DIR/db.sock" \
		--pidfile="$OVSENV_DIR/ovsdb.pid" --unixctl="$OVSENV_DIR/ovsdb.ctl" \
		--log-file="$OVSENV_DIR/ovsdb-server.log" --detach --no-chdir \
		2>>"$OVSENV_DIR/daemons.stderr" || return 1
	OVSENV_DB_PID=$(ovsenv_pid "$OVSENV_DIR/ovsdb.pid" ovsdb-server) || return 1
	ovsenv_vsctl --no-wait init || return 1
	ovsenv_nsx "$OVSENV_VSWITCHD" "$OVSENV_DB" \
		--pidfile="$OVSENV_DIR/ovs-vswitchd.pid" --unixctl="$OVSENV_CTL" \
		--log-file="$OVSENV_DIR/ovs-vswitchd.log" --detach --no-chdir \
		2>>"$OVSENV_DIR/daemons.stderr" || return 1
	# its process name: the program's file name, cut to the kernel's 15 bytes
	local comm=${OVSENV_VSWITCHD##*/}
	OVSENV_VS_PID=$(ovsenv_pid "$OVSENV_DIR/ovs-vswitchd.pid" "${comm:0:15}") || return 1
	# the name plain `ovs-appctl COMMAND` (target ovs-vswitchd) looks for
	ln -sf ovs-vswitchd.ctl "$OVSENV_DIR/ovs-vswitchd.$OVSENV_VS_PID.ctl"

	vs=(add-br "$OVSENV_BR" -- set bridge "$OVSENV_BR" datapath_type=netdev
		"protocols=$protocols" "other-config:datapath-id=$dpid" "other-config:hwaddr=\"$mac\"")
	for name in "${ports[@]}"; do
		ofport=""
		if [[ $name == *=* ]]; then
			ofport=${name#*=}
			name=${name%%=*}
		fi
		if ! ovsenv_nsx ip link show "$name" >/dev/null 2>&1; then
			ovsenv_nsx ip link add "$name" type veth peer name "$name-x" || return 1
			ovsenv_nsx ip link set "$name-x" up
		fi
		ovsenv_nsx ip link set "$name" up
		vs+=(-- add-port "$OVSENV_BR" "$name")
		[[ -z $ofport ]] || vs+=(-- set interface "$name" "ofport_request=$ofport")
	done
	ovsenv_vsctl "${vs[@]}" || return 1
	[[ $secure == 0 ]] || ovsenv_vsctl set-fail-mode "$OVSENV_BR" secure || return 1
	local -a targets=()
	[[ -z $ptcp ]] || targets+=("ptcp:$ptcp:127.0.0.1")
	[[ -z $ctl_target ]] || targets+=("$ctl_target")
	if ((${#targets[@]})); then
		ovsenv_vsctl set-controller "$OVSENV_BR" "${targets[@]}" || return 1
	fi
	# wait until the management socket answers (and the listener, if any)
	local i
	for ((i = 0; i < 100; i++)); do
		ovs-ofctl -t 2 show "$OVSENV_BR" >/dev/null 2>&1 && break
		sleep 0.1
	done
	if [[ -n $ptcp ]]; then
		for ((i = 0; i < 100; i++)); do
			ovsenv_nsx ovs-ofctl -t 2 show "tcp:127.0.0.1:$ptcp" >/dev/null 2>&1 && break
			sleep 0.1
		done
	fi
	return 0
}

ovsenv_stop() {
	if [[ -n $OVSENV_VS_PID ]]; then
		timeout 10 ovs-appctl -t "$OVSENV_CTL" exit --cleanup >/dev/null 2>&1
		ovsenv_kill "$OVSENV_VS_PID" 5
		OVSENV_VS_PID=""
	fi
	if [[ -n $OVSENV_DB_PID ]]; then
		timeout 10 ovs-appctl -t "$OVSENV_DIR/ovsdb.ctl" exit >/dev/null 2>&1
		ovsenv_kill "$OVSENV_DB_PID" 5
		OVSENV_DB_PID=""
	fi
	if [[ -n $OVSENV_MADE_NS ]]; then
		ip netns del "$OVSENV_MADE_NS" 2>/dev/null
		OVSENV_MADE_NS=""
	fi
	if [[ -n $OVSENV_DIR && -d $OVSENV_DIR && ${OVSENV_KEEP:-0} != 1 ]]; then
		rm -rf "$OVSENV_DIR"
	fi
	OVSENV_DIR=""
	return 0
}

# Script mode
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -u -o pipefail
	args=()
	while (($#)) && [[ $1 != -- ]]; do
		args+=("$1")
		shift
	done
	[[ ${1:-} == -- ]] && shift
	(($#)) || { sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 2; }
	trap ovsenv_stop EXIT
	trap 'exit 130' INT TERM
	ovsenv_start "${args[@]}" || { ovsenv_log "start failed"; cat "$OVSENV_DIR"/daemons.stderr >&2 2>/dev/null; exit 1; }
	ovsenv_nsx "$@"
	exit $?
fi
