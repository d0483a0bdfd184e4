#!/usr/bin/env bash
# capture.sh - ofproto/trace reference (issue 14 point 4): a private ovsdb-server
# and a switch daemon, one netdev bridge br0 with five veth ports (ofports 1-5),
# and for each case of cases.tsv the output of `ovs-appctl ofproto/trace ARGS`
# after loading the case's scenario (flows, groups, and for ovn the TLV map and
# meters) with ovs-ofctl.
#
#   tests/golden/trace/capture.sh [OUTDIR]          (as root)
#
# By default the daemon is Open vSwitch 3.1's ovs-vswitchd and OUTDIR is this
# directory (the goldens: NAME.txt and NAME.cmd per case). VSWITCHD=/path/to/gswitch
# runs gswitch in its place with ovs-vswitchd's command line (database mode);
# TestPrivilegedTraceGoldens (tests/trace_test.go) does that into a temp dir and
# compares. TRACE_NS names the namespace (default s7t-ref); TRACE_CASES, a
# regular expression, picks cases.
set -u -o pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
out=${1:-$here}
VSWITCHD=${VSWITCHD:-ovs-vswitchd}
NS=${TRACE_NS:-s7t-ref}
SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}

T=$(mktemp -d /tmp/s7t-trace.XXXXXX) || exit 1
DB=unix:$T/db.sock
DB_PID="" VS_PID="" MADE_NS=""
export OVS_RUNDIR=$T OVS_DBDIR=$T OVS_LOGDIR=$T OVS_SYSCONFDIR=$T

nsx() { ip netns exec "$NS" "$@"; }
# alive, killpid
. "$here/../proc.sh"
cleanup() {
	if [[ -n $VS_PID ]]; then
		timeout 10 ovs-appctl -t "$T/vswitchd.ctl" exit --cleanup >/dev/null 2>&1
		killpid "$VS_PID"
	fi
	if [[ -n $DB_PID ]]; then
		timeout 10 ovs-appctl -t "$T/ovsdb.ctl" exit >/dev/null 2>&1
		killpid "$DB_PID"
	fi
	[[ -z $MADE_NS ]] || ip netns del "$NS" 2>/dev/null
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vsctl() { timeout 30 ovs-vsctl --db="$DB" --timeout=20 "$@"; }
ofctl() { nsx timeout 20 ovs-ofctl "$@"; }
appctl() { timeout 20 ovs-appctl -t "$T/vswitchd.ctl" "$@"; }

if ip netns list | grep -qw -- "^$NS"; then
	echo "capture.sh: namespace $NS exists (another run?)" >&2
	exit 1
fi
ip netns add "$NS" && MADE_NS=1 || exit 1
nsx ip link set lo up
for i in 1 2 3 4 5; do
	nsx ip link add "s7t-p$i" type veth peer name "s7t-p${i}x" || exit 1
	nsx ip link set "s7t-p$i" address "02:00:00:00:00:0$i"
	nsx ip link set "s7t-p$i" up && nsx ip link set "s7t-p${i}x" up
done

ovsdb-tool create "$T/conf.db" "$SCHEMA" || exit 1
nsx ovsdb-server "$T/conf.db" --remote="punix:$T/db.sock" --pidfile="$T/ovsdb.pid" \
	--unixctl="$T/ovsdb.ctl" --log-file="$T/ovsdb-server.log" --detach --no-chdir || exit 1
DB_PID=$(cat "$T/ovsdb.pid")
vsctl --no-wait init || exit 1
nsx "$VSWITCHD" "$DB" --pidfile="$T/ovs-vswitchd.pid" --unixctl="$T/vswitchd.ctl" \
	--log-file="$T/ovs-vswitchd.log" --detach --no-chdir || { cat "$T/ovs-vswitchd.log" >&2; exit 1; }
VS_PID=$(cat "$T/ovs-vswitchd.pid")
vsctl add-br br0 -- set bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13,OpenFlow15 \
	other-config:datapath-id=0000000000000001 other-config:hwaddr=02:00:00:00:00:fe fail-mode=secure || exit 1
for i in 1 2 3 4 5; do
	vsctl add-port br0 "s7t-p$i" -- set interface "s7t-p$i" ofport_request=$i || exit 1
done
mkdir -p "$out"

# Datapath port numbers -> OpenFlow ports (s7t-pN is ofport N, the bridge's own
# port LOCAL is 65534), as gswitch, which has no datapath port numbers, prints
# them; only OVS needs it. A port number stands alone between commas and
# parentheses in "Datapath actions:" lines. recirc ids are numbered from 0x1
# in their order of appearance in each trace (OVS's depend on earlier traces).
# A packet-in's recirc_id (OVS's internal id) is X. The temp dir in
# ovs-appctl's error line is T; trailing blanks go (golden
# normalization "plain").
map=""
if [[ $(basename "$VSWITCHD") == ovs-vswitchd ]]; then
	map=$(appctl dpctl/show | sed -n -e "s/^ *port \([0-9]*\): s7t-p\([0-9]\).*/\1=\2/p" \
		-e "s/^ *port \([0-9]*\): br0 .*/\1=65534/p" | tr '\n' ' ')
fi
fixup() {
	MAP="$map" TDIR="$T" perl -ne 'BEGIN { %p = map { split /=/ } split " ", $ENV{MAP} }
		s/\Q$ENV{TDIR}\E/T/g; s/[ \t]+$//; s/recirc_id=\d+(?=,rule_cookie)/recirc_id=X/g;
		if (/^Datapath actions:/) { s/(?<=[ ,(])(\d+)(?=[,)]|$)/exists $p{$1} ? $p{$1} : $1/ge }
		s{recirc\((0x[0-9a-f]+)\)}{"recirc(" . ($r{$1} //= sprintf("0x%x", ++$n)) . ")"}ge;
		s{recirc_id=(0x[0-9a-f]+)}{"recirc_id=" . ($r{$1} //= sprintf("0x%x", ++$n))}ge;
		print'
}

# load SCENARIO: empty the bridge, then add its TLV map, meters, groups and flows.
load() {
	local s=$1
	ofctl -O OpenFlow15 del-flows br0 || return 1
	ofctl -O OpenFlow15 del-groups br0 || return 1
	ofctl -O OpenFlow15 del-meters br0 2>/dev/null
	ofctl del-tlv-map br0 2>/dev/null
	case $s in
	firewall) sed -e 's/eth0/1/g; s/veth1/2/g' "$top/examples/firewall/firewall.flows" >"$T/f.flows" ;;
	nat) cp "$top/tests/golden/flows/nat.flows" "$T/f.flows" ;;
	ovn)
		local o=$top/tests/golden/ovn
		ofctl add-tlv-map br0 "$(cat "$o/hv1.input.tlv-map")" || return 1
		while read -r m; do ofctl -O OpenFlow15 add-meter br0 "$m" || return 1; done <"$o/hv1.input.meters"
		while read -r g; do ofctl -O OpenFlow15 add-group br0 "$g" || return 1; done <"$o/hv1.input.groups"
		cp "$o/hv1.input.flows" "$T/f.flows"
		;;
	*)
		if [[ -f $here/$s.groups ]]; then
			ofctl -O OpenFlow15 add-groups br0 "$here/$s.groups" || return 1
		fi
		cp "$here/$s.flows" "$T/f.flows"
		;;
	esac
	ofctl -O OpenFlow15 add-flows br0 "$T/f.flows"
}

loaded=""
while IFS=$'\t' read -r name scen args; do
	[[ -z $name || $name == \#* ]] && continue
	[[ -n ${TRACE_CASES:-} && ! $name =~ $TRACE_CASES ]] && continue
	if [[ $scen != "$loaded" ]]; then
		load "$scen" || { echo "capture.sh: loading $scen failed" >&2; exit 1; }
		loaded=$scen
	fi
	eval "set -- $args"
	appctl ofproto/trace "$@" >"$T/out" 2>&1
	rc=$?
	fixup <"$T/out" >"$out/$name.txt"
	{
		echo "# setup: tests/golden/trace/capture.sh (ovs-vswitchd (Open vSwitch) 3.1.0, bridge br0 netdev, ports s7t-p1..5 as ofports 1-5), scenario $scen loaded with ovs-ofctl -O OpenFlow15"
		echo "# normalize: plain"
		echo "# exit status: $rc"
		echo "ovs-appctl ofproto/trace $args"
	} >"$out/$name.cmd"
done <"$here/cases.tsv"
