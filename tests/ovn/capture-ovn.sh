#!/usr/bin/env bash
# capture-ovn.sh - capture what real OVN 23.03 (Debian's ovn-central and
# ovn-host) installs into Open vSwitch 3.1 for a modest topology, into the
# goldens under tests/golden/ovn/ (README.md there). The replay test
# (tests/ovn_test.go, TestPrivilegedOVNReplay) feeds them to gswitch.
#
# Usage (as root, from anywhere):
#   tests/ovn/capture-ovn.sh           capture into tests/golden/ovn
#   GOLDEN_OUT=DIR tests/ovn/capture-ovn.sh   capture into DIR instead
#   OVN_PREFIX=P ...   name namespaces, interfaces, temp dirs P-... (default g11u)
#
# It installs nothing. It needs (Debian bookworm):
#   apt-get update && apt-get install -y ovn-central ovn-host
# plus openvswitch-switch, iproute2 and Go (for tests/ovsref/normalize).
# Debian's packages try to start their services on install; there is no
# systemd here, so none start, and this script starts no system service:
# every daemon runs from a private temp dir and is stopped by its PID.
#
# What runs (all private, nothing of the system's OVS/OVN is touched):
#   central  temp dir /tmp/g11u-ovn.XXXXXX: NB and SB ovsdb-servers on unix
#            sockets there, ovn-northd (no network namespace needed)
#   hv1      namespace g11u-hv1: a private OVS 3.1 (tests/ovsref/ovs-env.sh,
#            br-int datapath_type=netdev, plus br-ex for the localnet port)
#            and ovn-controller, system-id hv1, the GATEWAY chassis;
#            encap geneve 203.0.113.201; VIFs g11u-v1 (sw0-p1, ofport 1) and
#            g11u-v2 (sw1-p1, ofport 2)
#   hv2      namespace g11u-hv2: the same, system-id hv2, encap 203.0.113.202,
#            VIFs g11u-v3 (sw0-p2, ofport 1) and g11u-v4 (sw1-p2, ofport 2)
#   underlay veth g11u-u1 (hv1) -- g11u-u2 (hv2), 203.0.113.192/26
#
# Logical topology (ovn-nbctl in lib.sh's ovn_configure_nb):
#   sw0 198.51.100.0/25, 2001:db8:0:1::/64: sw0-p1 (hv1) .11, sw0-p2 (hv2) .12;
#       native DHCPv4/DHCPv6 on both ports; QoS: DSCP mark on sw0-p2, rate
#       limit (meter) on sw0-p1
#   sw1 198.51.100.128/25, 2001:db8:0:2::/64: sw1-p1 (hv1) .139, sw1-p2 (hv2) .140
#   lr0 distributed router on both; lrp-ext 203.0.113.1/25 with gateway
#       chassis hv1, options:gateway_mtu=1400; SNAT 198.51.100.0/24 ->
#       203.0.113.10; floating IP (dnat_and_snat) 203.0.113.20 <-> 198.51.100.11
#   ext: localnet port (network_name=physnet, bridge-mappings physnet:br-ex)
#   port groups pg_web (sw0-p1, sw1-p1) and pg_all; ACLs: allow-related
#       (one with a conjunctive match: two address sets x two ports), and a
#       logged, metered (meter acl-meter, 10 pktps) drop
#   load balancer lb0 198.51.100.200:80 -> .11:80, .139:80 (tcp) on sw0, sw1
#       and lr0 (hairpin flows come with it)
#
# Outputs (each X.txt with an X.cmd, as the other goldens): for CH in hv1
# (gateway) and hv2, with ovs-ofctl of OVS 3.1 on CH's br-int:
#   CH.flows.of15.txt   ovs-ofctl -O OpenFlow15 dump-flows br-int --no-stats
#   CH.flows.of13.txt   ovs-ofctl -O OpenFlow13 dump-flows br-int --no-stats
#   CH.groups.of15.txt / .of13.txt   dump-groups
#   CH.meters.of15.txt / .of13.txt   dump-meters
#   CH.tlv-map.of15.txt / .of13.txt dump-tlv-map
#   CH.ports, CH.ct-zones, CH.tunnels   what names the run-time numbers and
#                       the tunnel ports' rows (lib.sh's ovn_dump)
#   nb.db, sb.db        the NB and SB databases of the dumps (run-controller.sh
#                       starts from them)
# Flow cookies and conjunction ids derive from SB logical-flow UUIDs, which
# are random, datapath and port keys from northd's hash order, ct zones,
# group and meter ids and the order of the patch and tunnel ports from
# ovn-controller's timing: a rerun changes them (see README.md there).
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${GOLDEN_OUT:-$ROOT/tests/golden/ovn}
# the central, the chassis and the NB topology: lib.sh; OVN_PREFIX (default
# g11u) names the namespaces, interfaces and temp dirs
OVN_PREFIX=${OVN_PREFIX:-g11u}
OVN_LOG_TAG=capture-ovn
OVN_KEEP=${CAPTURE_KEEP:-0}
# shellcheck source=lib.sh
source "$HERE/lib.sh"

C="" # the central temp dir ($OVN_C), where the chassis's dumps go too
log() { ovn_log "$@"; }
die() { ovn_die "$@"; }

command -v go >/dev/null || die "go not installed"
ovn_check_tools || exit 1

trap ovn_cleanup EXIT
trap 'exit 130' INT TERM

# dump_chassis NAME: (run with ovn_on NAME) NAME's dumps into $C/NAME.*
# (lib.sh's ovn_dump), its replay inputs and OVS's own replay of them
dump_chassis() {
	local name=$1 v
	ovn_dump "$name" "$C"
	ovsenv_vsctl show >"$C/$name.vsctl-show" 2>&1
	make_inputs "$name"
	for v in 15 13; do replay_into_ovs "$name" "$v"; done
	touch "$C/$name.dumped"
}

# make_inputs CH: the replay inputs, one message per line in ovs-ofctl
# syntax, from CH's OpenFlow 1.5 dumps: $C/CH.input.{tlv-map,meters,groups,flows}
make_inputs() {
	local ch=$1
	# dump-tlv-map's table rows "  0x102  0x80       4  tun_metadata0"
	awk '/^ *------/ {t = 1; next} t && NF == 4 && $1 ~ /^0x/ {printf "{class=%s,type=%s,len=%s}->%s\n", $1, $2, $3, $4}' \
		"$C/$ch.tlv-map.of15.raw" >"$C/$ch.input.tlv-map"
	# dump-meters: "meter=N ... bands=" then one line per band, blank line between meters
	awk '/ reply \(OF/ {next} /^meter=/ {if (m != "") print m; m = $0; next} /^ *$/ {if (m != "") print m; m = ""; next} {sub(/^ +/, ""); m = m " " $0} END {if (m != "") print m}' \
		"$C/$ch.meters.of15.raw" >"$C/$ch.input.meters"
	grep -v ' reply (OF' "$C/$ch.groups.of15.raw" | sed 's/^ *//' >"$C/$ch.input.groups"
	grep -v ' reply (OF' "$C/$ch.flows.of15.raw" | sed 's/^ *//' >"$C/$ch.input.flows"
}

# replay_into_ovs CH V: what OVS itself dumps when given CH's inputs as
# text (ovs-ofctl -O OpenFlowV, one message per line; flows with add-flows)
# on a fresh bridge br-rpV: the reference for the replay test, since a few
# actions do not survive the text round trip (OVN's dec_ttl() is sent as
# NXAST_DEC_TTL_CNT_IDS with no ids; its text parses back to plain dec_ttl).
# Lines ovs-ofctl cannot parse go to $C/CH.replayV.unparsable.
replay_into_ovs() {
	local ch=$1 v=$2 br=br-rp$2 l n i
	ovsenv_vsctl add-br "$br" -- set bridge "$br" datapath_type=netdev \
		protocols=OpenFlow10,OpenFlow13,OpenFlow15 fail_mode=secure \
		"other-config:datapath-id=00000000000000$v" || return 1
	: >"$C/$ch.replay$v.unparsable"
	for l in tlv-map:add-tlv-map meters:add-meter groups:add-group; do
		while IFS= read -r i; do
			ovsenv_ofctl -O "OpenFlow$v" "${l#*:}" "$br" "$i" >>"$C/$ch.replay$v.errors" 2>&1 ||
				echo "${l%%:*}	$i" >>"$C/$ch.replay$v.unparsable"
		done <"$C/$ch.input.${l%%:*}"
	done
	cp "$C/$ch.input.flows" "$C/$ch.replay$v.flows"
	for ((n = 0; n < 100; n++)); do
		if ovsenv_ofctl -O "OpenFlow$v" add-flows "$br" "$C/$ch.replay$v.flows" >"$C/$ch.replay$v.out" 2>&1; then
			break
		fi
		i=$(sed -n 's/^ovs-ofctl: [^:]*:\([0-9]*\): .*/\1/p' "$C/$ch.replay$v.out" | head -1)
		[[ -n $i ]] || { log "$ch: OVS refused a flow: $(head -2 "$C/$ch.replay$v.out")"; return 1; }
		echo "flows	$(sed -n "${i}p" "$C/$ch.replay$v.flows")	$(head -1 "$C/$ch.replay$v.out" | sed 's/^ovs-ofctl: [^:]*:[0-9]*: /ovs-ofctl: /')" >>"$C/$ch.replay$v.unparsable"
		sed -i "${i}d" "$C/$ch.replay$v.flows"
	done
	ovsenv_ofctl -O "OpenFlow$v" dump-flows "$br" --no-stats >"$C/$ch.replay$v.flows.raw" 2>&1
	echo $? >"$C/$ch.replay$v.flows.rc"
	for l in groups meters tlv-map; do
		ovsenv_ofctl -O "OpenFlow$v" "dump-$l" "$br" >"$C/$ch.replay$v.$l.raw" 2>&1
		echo $? >"$C/$ch.replay$v.$l.rc"
	done
}

# write NAME KIND CH CMD RAW RC: golden $OUT/NAME.txt from raw output and its .cmd
write_golden() {
	local name=$1 kind=$2 ch=$3 cmd=$4 raw=$5 rc=$6
	{
		echo "# setup: tests/ovn/capture-ovn.sh (OVN $(ovn-northd --version | sed -n 1p | awk '{print $2}'), chassis $ch's private OVS 3.1 (tests/ovsref/ovs-env.sh) br-int datapath_type=netdev, see README.md"
		echo "# normalize: $kind"
		echo "# exit status: $(cat "$rc")"
		echo "$cmd"
	} >"$OUT/$name.cmd"
	"$C/normalize" "$kind" <"$raw" >"$OUT/$name.txt"
}

main() {
	mkdir -p "$OUT" || die "cannot create $OUT"
	ovn_central_start || die "central did not start"
	C=$OVN_C
	(cd "$ROOT" && go build -o "$C/normalize" ./tests/ovsref/normalize) || die "build normalize"
	ovn_configure_nb
	ovn_underlay 1 203.0.113.201 2 203.0.113.202 || die "underlay"
	ovn_chassis_start 1 203.0.113.201 ovs "$OVN_PREFIX-v1:sw0-p1" "$OVN_PREFIX-v2:sw1-p1"
	ovn_chassis_start 2 203.0.113.202 ovs "$OVN_PREFIX-v3:sw0-p2" "$OVN_PREFIX-v4:sw1-p2"
	ovn_chassis_wait_up hv1 hv2 || die "chassis did not come up"
	ovn_nbctl --timeout=120 --wait=hv sync || die "ovn-nbctl --wait=hv sync"
	# wait until both chassis's flow tables stop changing (3 s unchanged)
	ovn_flows_settle hv1 hv2
	local d1 d2
	ovn_on hv1 dump_chassis hv1 &
	d1=$!
	ovn_on hv2 dump_chassis hv2 &
	d2=$!
	wait "$d1" "$d2"
	[[ -e $C/hv1.dumped && -e $C/hv2.dumped ]] || die "dumps missing"
	# the databases these dumps came from: run-controller.sh starts from them
	ovn_central_save "$OUT/nb.db" "$OUT/sb.db" || die "ovsdb-client backup"
	local ch v k kind a
	for ch in hv1 hv2; do
		for v in 15 13; do
			write_golden "$ch.flows.of$v" flows "$ch" "ovs-ofctl -O OpenFlow$v dump-flows br-int --no-stats" "$C/$ch.flows.of$v.raw" "$C/$ch.flows.of$v.rc"
			write_golden "$ch.groups.of$v" flows "$ch" "ovs-ofctl -O OpenFlow$v dump-groups br-int" "$C/$ch.groups.of$v.raw" "$C/$ch.groups.of$v.rc"
			write_golden "$ch.meters.of$v" flows "$ch" "ovs-ofctl -O OpenFlow$v dump-meters br-int" "$C/$ch.meters.of$v.raw" "$C/$ch.meters.of$v.rc"
			for k in flows groups meters tlv-map; do
				kind=flows
				[[ $k == tlv-map ]] && kind=plain
				a=""
				[[ $k == flows ]] && a=" --no-stats"
				write_golden "$ch.replay$v.$k" "$kind" "$ch" "ovs-ofctl -O OpenFlow$v add-tlv-map/add-meter/add-group (one per line) and add-flows br-rp$v $ch.input.*; ovs-ofctl -O OpenFlow$v dump-$k br-rp$v$a" "$C/$ch.replay$v.$k.raw" "$C/$ch.replay$v.$k.rc"
			done
			cp "$C/$ch.replay$v.unparsable" "$OUT/$ch.replay$v.unparsable"
			write_golden "$ch.tlv-map.of$v" plain "$ch" "ovs-ofctl -O OpenFlow$v dump-tlv-map br-int" "$C/$ch.tlv-map.of$v.raw" "$C/$ch.tlv-map.of$v.rc"
		done
	done
	for ch in hv1 hv2; do
		for k in tlv-map meters groups flows; do cp "$C/$ch.input.$k" "$OUT/$ch.input.$k"; done
		cp "$C/$ch.ports" "$OUT/$ch.ports"
		cp "$C/$ch.ct-zones" "$OUT/$ch.ct-zones"
		cp "$C/$ch.tunnels" "$OUT/$ch.tunnels"
	done
	{
		ovn-northd --version | sed -n 1p
		ovn-controller --version | sed -n 1p
		ovs-vswitchd --version | sed -n 1p
		ovs-ofctl --version | sed -n 1p
	} >"$OUT/versions"
	ovn_nbctl show >"$OUT/nb-show"
	ovn_sbctl show >"$OUT/sb-show"
	for ch in hv1 hv2; do
		log "$ch: $(grep -c 'actions=' "$OUT/$ch.flows.of15.txt") flows, $(grep -c '^ *group_id=' "$OUT/$ch.groups.of15.txt") groups, $(grep -c '^ *meter=' "$OUT/$ch.meters.of15.txt") meters, $(grep -c 'tun_metadata' "$OUT/$ch.tlv-map.of15.txt") TLV mappings"
	done
}

main
