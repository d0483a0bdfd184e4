#!/usr/bin/env bash
# capture-ovn.sh - capture what real OVN 23.03 (Debian's ovn-central and
# ovn-host) installs into Open vSwitch 3.1 for a modest topology, into the
# goldens under tests/golden/ovn/ (README.md there). The replay test
# (tests/ovn_test.go, TestPrivilegedOVNReplay) feeds them to gswitch.
#
# Usage (as root, from anywhere):
#   tests/ovn/capture-ovn.sh           capture into tests/golden/ovn
#   GOLDEN_OUT=DIR tests/ovn/capture-ovn.sh   capture into DIR instead
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
# Logical topology (ovn-nbctl below, in configure_nb):
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
# Flow cookies and conjunction ids derive from SB logical-flow UUIDs, which
# are random: a rerun changes them (and only them, plus what follows from
# the counts). Everything else is fixed (MACs, addresses, ofports, order of
# creation).
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${GOLDEN_OUT:-$ROOT/tests/golden/ovn}
# shellcheck source=../ovsref/ovs-env.sh
OVSENV_LIB=$ROOT/tests/ovsref/ovs-env.sh
source "$OVSENV_LIB"

C=$(mktemp -d /tmp/g11u-ovn.XXXXXX)
NB=unix:$C/nb.sock
SB=unix:$C/sb.sock
PIDS=() # our daemons (central ones and the chassis subshells)
CH_PIDS=()

log() { printf 'capture-ovn: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

for c in ovn-northd ovn-controller ovn-nbctl ovn-sbctl ovsdb-server ovsdb-tool ovs-vswitchd ovs-ofctl go; do
	command -v "$c" >/dev/null || die "$c not installed (apt-get install -y ovn-central ovn-host openvswitch-switch)"
done

nbctl() { ovn-nbctl --db="$NB" --timeout=30 "$@"; }

cleanup() {
	local p
	touch "$C/stop"
	# the chassis subshells stop their own ovn-controller and OVS
	for p in "${CH_PIDS[@]}"; do
		for _ in $(seq 100); do ovsenv_alive "$p" || break; sleep 0.2; done
		ovsenv_kill "$p" 2
		wait "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		ovsenv_kill "$p" 5
	done
	ip netns del g11u-hv1 2>/dev/null
	ip netns del g11u-hv2 2>/dev/null
	if [[ ${CAPTURE_KEEP:-0} == 1 ]]; then log "kept $C"; else rm -rf "$C"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_db NAME SCHEMA: an ovsdb-server for the OVN NAME database in $C
start_db() {
	ovsdb-tool create "$C/$1.db" "$2" || return 1
	ovsdb-server "$C/$1.db" --remote="punix:$C/$1.sock" --pidfile="$C/$1.pid" \
		--unixctl="$C/$1.ctl" --log-file="$C/$1.log" --detach --no-chdir || return 1
	PIDS+=("$(ovsenv_pid "$C/$1.pid" ovsdb-server)")
}

start_central() {
	start_db nb /usr/share/ovn/ovn-nb.ovsschema || die "nb db"
	start_db sb /usr/share/ovn/ovn-sb.ovsschema || die "sb db"
	ovn-northd --ovnnb-db="$NB" --ovnsb-db="$SB" --pidfile="$C/northd.pid" \
		--unixctl="$C/northd.ctl" --log-file="$C/northd.log" --detach --no-chdir || die "northd"
	PIDS+=("$(ovsenv_pid "$C/northd.pid" ovn-northd)")
	nbctl init
}

# chassis N ENCAP_IP VIF:IFACE_ID...: runs (as a background subshell) a
# private OVS in namespace g11u-hvN with its ovn-controller, waits for
# $C/dump, dumps into $C/hvN.*, and stops everything it started when
# $C/stop appears.
chassis() {
	local n=$1 ip=$2
	shift 2
	local name=hv$n ns=g11u-hv$n ofp=0 v ctl_pid=""
	local -a ports=()
	for v in "$@"; do
		ofp=$((ofp + 1))
		ports+=(-p "${v%%:*}=$ofp")
	done
	stop_chassis() {
		if [[ -n $ctl_pid ]]; then
			timeout 10 ovs-appctl -t "$OVSENV_DIR/ovn-controller.$ctl_pid.ctl" exit >/dev/null 2>&1
			ovsenv_kill "$ctl_pid" 5
			ctl_pid=""
		fi
		ovsenv_stop
	}
	trap stop_chassis EXIT
	trap 'exit 130' INT TERM
	OVSENV_KEEP=${CAPTURE_KEEP:-0}
	ovsenv_start -n "$ns" -b br-int -P OpenFlow10,OpenFlow13,OpenFlow15 -s \
		-d "000000000000000$n" -m "02:00:00:00:0$n:fe" "${ports[@]}" || {
		log "$name: OVS did not start"
		exit 1
	}
	echo "$OVSENV_DIR" >"$C/$name.dir"
	ovsenv_vsctl add-br br-ex -- set bridge br-ex datapath_type=netdev \
		"other-config:hwaddr=\"02:00:00:00:0$n:fd\"" || exit 1
	for v in "$@"; do
		ovsenv_vsctl set interface "${v%%:*}" "external_ids:iface-id=${v#*:}" || exit 1
	done
	ovsenv_vsctl set open . "external_ids:system-id=$name" "external_ids:hostname=$name" \
		"external_ids:ovn-remote=$SB" external_ids:ovn-encap-type=geneve \
		"external_ids:ovn-encap-ip=$ip" external_ids:ovn-bridge-mappings=physnet:br-ex \
		external_ids:ovn-bridge=br-int || exit 1
	OVN_RUNDIR=$OVSENV_DIR ovsenv_nsx ovn-controller "$OVSENV_DB" \
		--pidfile="$OVSENV_DIR/ovn-controller.pid" --log-file="$OVSENV_DIR/ovn-controller.log" --detach --no-chdir || exit 1
	ctl_pid=$(ovsenv_pid "$OVSENV_DIR/ovn-controller.pid" ovn-controller) || exit 1
	touch "$C/$name.up"
	while [[ ! -e $C/dump && ! -e $C/stop ]]; do sleep 0.2; done
	if [[ -e $C/dump ]]; then
		local v
		for v in 15 13; do
			ovsenv_ofctl -O OpenFlow$v dump-flows br-int --no-stats >"$C/$name.flows.of$v.raw" 2>&1
			echo $? >"$C/$name.flows.of$v.rc"
			ovsenv_ofctl -O OpenFlow$v dump-groups br-int >"$C/$name.groups.of$v.raw" 2>&1
			echo $? >"$C/$name.groups.of$v.rc"
			ovsenv_ofctl -O OpenFlow$v dump-meters br-int >"$C/$name.meters.of$v.raw" 2>&1
			echo $? >"$C/$name.meters.of$v.rc"
			ovsenv_ofctl -O OpenFlow$v dump-tlv-map br-int >"$C/$name.tlv-map.of$v.raw" 2>&1
			echo $? >"$C/$name.tlv-map.of$v.rc"
		done
		ovsenv_vsctl show >"$C/$name.vsctl-show" 2>&1
		make_inputs "$name"
		for v in 15 13; do replay_into_ovs "$name" "$v"; done
		touch "$C/$name.dumped"
	fi
	while [[ ! -e $C/stop ]]; do sleep 0.2; done
	exit 0
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

configure_nb() {
	# switches and VIFs
	nbctl ls-add sw0 -- ls-add sw1 -- ls-add ext
	nbctl lsp-add sw0 sw0-p1 -- lsp-set-addresses sw0-p1 "02:00:00:00:00:11 198.51.100.11 2001:db8:0:1::11"
	nbctl lsp-add sw0 sw0-p2 -- lsp-set-addresses sw0-p2 "02:00:00:00:00:12 198.51.100.12 2001:db8:0:1::12"
	nbctl lsp-add sw1 sw1-p1 -- lsp-set-addresses sw1-p1 "02:00:00:00:01:39 198.51.100.139 2001:db8:0:2::139"
	nbctl lsp-add sw1 sw1-p2 -- lsp-set-addresses sw1-p2 "02:00:00:00:01:40 198.51.100.140 2001:db8:0:2::140"
	nbctl lsp-set-port-security sw0-p1 "02:00:00:00:00:11 198.51.100.11 2001:db8:0:1::11"
	# router, its ports, the gateway port on hv1 with gateway_mtu
	nbctl lr-add lr0
	nbctl lrp-add lr0 lrp-sw0 02:00:00:00:ff:01 198.51.100.1/25 2001:db8:0:1::1/64
	nbctl lrp-add lr0 lrp-sw1 02:00:00:00:ff:02 198.51.100.129/25 2001:db8:0:2::1/64
	nbctl lrp-add lr0 lrp-ext 02:00:00:00:ff:03 203.0.113.1/25
	nbctl lrp-set-gateway-chassis lrp-ext hv1 20
	nbctl set logical_router_port lrp-ext options:gateway_mtu=1400
	local s
	for s in sw0 sw1 ext; do
		nbctl lsp-add "$s" "$s-lr0" -- lsp-set-type "$s-lr0" router \
			-- lsp-set-addresses "$s-lr0" router
	done
	nbctl lsp-set-options sw0-lr0 router-port=lrp-sw0
	nbctl lsp-set-options sw1-lr0 router-port=lrp-sw1
	nbctl lsp-set-options ext-lr0 router-port=lrp-ext
	# localnet to the external network
	nbctl lsp-add ext ext-localnet -- lsp-set-type ext-localnet localnet \
		-- lsp-set-addresses ext-localnet unknown -- lsp-set-options ext-localnet network_name=physnet
	nbctl lr-route-add lr0 0.0.0.0/0 203.0.113.126
	# NAT: SNAT for the inside, a floating IP for sw0-p1
	nbctl lr-nat-add lr0 snat 203.0.113.10 198.51.100.0/24
	nbctl lr-nat-add lr0 dnat_and_snat 203.0.113.20 198.51.100.11
	# port groups and ACLs
	nbctl pg-add pg_web sw0-p1 sw1-p1
	nbctl pg-add pg_all sw0-p1 sw0-p2 sw1-p1 sw1-p2
	nbctl meter-add acl-meter drop 10 pktps
	nbctl acl-add pg_all from-lport 1001 'inport == @pg_all && ip' allow-related
	nbctl acl-add pg_web to-lport 1002 \
		'outport == @pg_web && ip4 && ip4.src == {198.51.100.0/25, 198.51.100.128/25} && tcp.dst == {80, 443}' allow-related
	nbctl acl-add pg_web to-lport 1002 'outport == @pg_web && icmp4' allow-related
	nbctl --log --meter=acl-meter --severity=alert --name=web-drop \
		acl-add pg_web to-lport 1000 'outport == @pg_web && ip' drop
	# load balancer (with hairpin: its backends are on the same switches)
	nbctl lb-add lb0 198.51.100.200:80 198.51.100.11:80,198.51.100.139:80 tcp
	nbctl ls-lb-add sw0 lb0 -- ls-lb-add sw1 lb0 -- lr-lb-add lr0 lb0
	# QoS: DSCP marking and a rate limit (a meter)
	nbctl qos-add sw0 from-lport 100 'inport == "sw0-p2"' dscp=10
	nbctl qos-add sw0 from-lport 101 'inport == "sw0-p1"' rate=10000 burst=1000
	# native DHCP (v4 and v6)
	local d4 d6
	d4=$(nbctl create dhcp_options cidr=198.51.100.0/25 \
		options='"lease_time"="3600" "router"="198.51.100.1" "server_id"="198.51.100.1" "server_mac"="02:00:00:00:ff:01" "dns_server"="198.51.100.1"')
	d6=$(nbctl create dhcp_options cidr='"2001:db8:0:1::/64"' \
		options='"server_id"="02:00:00:00:ff:01"')
	nbctl lsp-set-dhcpv4-options sw0-p1 "$d4" -- lsp-set-dhcpv4-options sw0-p2 "$d4"
	nbctl lsp-set-dhcpv6-options sw0-p1 "$d6" -- lsp-set-dhcpv6-options sw0-p2 "$d6"
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
	(cd "$ROOT" && go build -o "$C/normalize" ./tests/ovsref/normalize) || die "build normalize"
	start_central
	configure_nb
	ip netns add g11u-hv1 || die "netns g11u-hv1"
	ip netns add g11u-hv2 || die "netns g11u-hv2"
	ip link add g11u-u1 netns g11u-hv1 type veth peer name g11u-u2 netns g11u-hv2 || die "underlay veth"
	ip -n g11u-hv1 addr add 203.0.113.201/26 dev g11u-u1
	ip -n g11u-hv2 addr add 203.0.113.202/26 dev g11u-u2
	ip -n g11u-hv1 link set g11u-u1 up
	ip -n g11u-hv2 link set g11u-u2 up
	(chassis 1 203.0.113.201 g11u-v1:sw0-p1 g11u-v2:sw1-p1) &
	CH_PIDS+=($!)
	(chassis 2 203.0.113.202 g11u-v3:sw0-p2 g11u-v4:sw1-p2) &
	CH_PIDS+=($!)
	local i
	for ((i = 0; i < 300; i++)); do
		[[ -e $C/hv1.up && -e $C/hv2.up ]] && break
		ovsenv_alive "${CH_PIDS[0]}" && ovsenv_alive "${CH_PIDS[1]}" || break
		sleep 0.2
	done
	[[ -e $C/hv1.up && -e $C/hv2.up ]] || die "chassis did not come up"
	nbctl --timeout=120 --wait=hv sync || die "ovn-nbctl --wait=hv sync"
	# wait until both chassis's flow tables stop changing (3 s unchanged)
	local prev="" cur same=0 d
	for ((i = 0; i < 120 && same < 3; i++)); do
		cur=""
		for d in hv1 hv2; do
			cur+=$(OVS_RUNDIR=$(cat "$C/$d.dir") ovs-ofctl -O OpenFlow15 dump-flows br-int --no-stats 2>/dev/null | md5sum)
		done
		if [[ $cur == "$prev" ]]; then same=$((same + 1)); else same=0; fi
		prev=$cur
		sleep 1
	done
	touch "$C/dump"
	for ((i = 0; i < 300; i++)); do
		[[ -e $C/hv1.dumped && -e $C/hv2.dumped ]] && break
		sleep 0.2
	done
	[[ -e $C/hv1.dumped && -e $C/hv2.dumped ]] || die "dumps missing"
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
	done
	{
		ovn-northd --version | sed -n 1p
		ovn-controller --version | sed -n 1p
		ovs-vswitchd --version | sed -n 1p
		ovs-ofctl --version | sed -n 1p
	} >"$OUT/versions"
	nbctl show >"$OUT/nb-show"
	ovn-sbctl --db="$SB" show >"$OUT/sb-show"
	for ch in hv1 hv2; do
		log "$ch: $(grep -c 'actions=' "$OUT/$ch.flows.of15.txt") flows, $(grep -c '^ *group_id=' "$OUT/$ch.groups.of15.txt") groups, $(grep -c '^ *meter=' "$OUT/$ch.meters.of15.txt") meters, $(grep -c 'tun_metadata' "$OUT/$ch.tlv-map.of15.txt") TLV mappings"
	done
}

main
