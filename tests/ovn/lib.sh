#!/usr/bin/env bash
# shellcheck shell=bash
# lib.sh - a private OVN 23.03 (Debian's ovn-central and ovn-host) with its
# chassis, for scripts and tests: capture-ovn.sh sources it, and so can a
# traffic test. Nothing of the system's OVS/OVN is used or touched: every
# daemon runs from a private temp dir and is stopped by its PID.
#
#   source tests/ovn/lib.sh
#   OVN_PREFIX=s7p                      # namespaces, veths, temp dirs
#   trap ovn_cleanup EXIT
#   ovn_check_tools || exit 1
#   ovn_central_start || exit 1         # NB, SB, northd in $OVN_C
#   ovn_configure_nb                    # the issue's topology (below)
#   ovn_underlay 1 203.0.113.201 2 203.0.113.202 || exit 1
#   ovn_chassis_start 1 203.0.113.201 gswitch "$OVN_PREFIX-v1:sw0-p1" ...
#   ovn_chassis_start 2 203.0.113.202 ovs     "$OVN_PREFIX-v3:sw0-p2" ...
#   ovn_chassis_wait_up hv1 hv2 || exit 1
#   ovn_nbctl --timeout=120 --wait=hv sync
#   ovn_on hv1 ovs-ofctl -O OpenFlow15 dump-flows br-int
#   ovn_vm hv1 "$OVN_PREFIX-v1" "$OVN_PREFIX-vm1" 02:00:00:00:00:11 \
#       198.51.100.11/25 198.51.100.1 2001:db8:0:1::11/64 2001:db8:0:1::1
#   ovn_cleanup                         # also what the EXIT trap does
#
# Variables (set them before the calls that use them):
#   OVN_PREFIX  prefix of every namespace, interface and temp dir name
#               (default g11u, capture-ovn.sh's); chassis N is namespace
#               $OVN_PREFIX-hvN, the underlay veth $OVN_PREFIX-uN
#   OVN_GSWITCH the gswitch binary a chassis with SWITCH=gswitch runs
#               (default: bin/gswitch of this repository)
#   OVN_KEEP=1  keep the temp dirs (central and chassis) for a post mortem
# Set by ovn_central_start: OVN_C (the central temp dir, also where the
# chassis leave their files), OVN_NB and OVN_SB (unix: remotes).
#
# A chassis (ovn_chassis_start N ENCAP_IP SWITCH VIF:IFACE_ID...) runs in a
# background subshell: a private Open_vSwitch database and switch daemon in
# namespace $OVN_PREFIX-hvN (tests/ovsref/ovs-env.sh) with br-int
# (datapath_type=netdev, fail_mode secure, datapath id N, VIF i with
# ofport_request=i) and br-ex (for the localnet port, bridge mapping
# physnet:br-ex), and ovn-controller (system-id hvN, encap geneve ENCAP_IP).
# SWITCH is ovs (ovs-vswitchd 3.1) or gswitch ($OVN_GSWITCH started with
# ovs-vswitchd's command line against the same private ovsdb-server). Each
# VIF is a veth VIF / VIF-x inside the chassis namespace; ovn_vm moves VIF-x
# into a namespace of its own and gives it addresses. The chassis writes
# $OVN_C/hvN.dir (its ovs-env dir: OVS_RUNDIR, db.sock, logs,
# ovn-controller.log) and touches $OVN_C/hvN.up once ovn-controller runs; it
# stops what it started when $OVN_C/stop or $OVN_C/hvN.stop appears.

OVN_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OVN_ROOT=$(cd "$OVN_LIB_DIR/../.." && pwd)
# shellcheck source=../ovsref/ovs-env.sh
source "$OVN_ROOT/tests/ovsref/ovs-env.sh"

OVN_PREFIX=${OVN_PREFIX:-g11u}
OVN_GSWITCH=${OVN_GSWITCH:-$OVN_ROOT/bin/gswitch}
OVN_LOG_TAG=${OVN_LOG_TAG:-ovn-lib}
OVN_C=""
OVN_NB=""
OVN_SB=""
OVN_PIDS=()    # central daemons
OVN_CH_PIDS=() # chassis subshells
OVN_NETNS=()   # namespaces we made (deleted by ovn_cleanup)

ovn_log() { printf '%s: %s\n' "$OVN_LOG_TAG" "$*" >&2; }
ovn_die() {
	ovn_log "$*"
	exit 1
}

# ovn_check_tools [SWITCH]: every program the central and an ovs chassis
# need, and with SWITCH=gswitch the gswitch binary
ovn_check_tools() {
	local c
	for c in ovn-northd ovn-controller ovn-nbctl ovn-sbctl ovsdb-server ovsdb-tool ovs-vswitchd ovs-vsctl ovs-ofctl ovs-appctl; do
		command -v "$c" >/dev/null || {
			ovn_log "$c not installed (apt-get install -y ovn-central ovn-host openvswitch-switch)"
			return 1
		}
	done
	if [[ ${1:-} == gswitch && ! -x $OVN_GSWITCH ]]; then
		ovn_log "$OVN_GSWITCH missing (make build)"
		return 1
	fi
}

ovn_nbctl() { ovn-nbctl --db="$OVN_NB" --timeout=30 "$@"; }
ovn_sbctl() { ovn-sbctl --db="$OVN_SB" --timeout=30 "$@"; }

# ovn_netns_add NS: a namespace that ovn_cleanup deletes again
ovn_netns_add() {
	ip netns add "$1" || return 1
	OVN_NETNS+=("$1")
	ip -n "$1" link set lo up
}

# ovn_start_db NAME SCHEMA [FROM]: an ovsdb-server for the OVN NAME
# database in $OVN_C, new or a copy of database file FROM
ovn_start_db() {
	if [[ -n ${3:-} ]]; then
		cp "$3" "$OVN_C/$1.db" || return 1
	else
		ovsdb-tool create "$OVN_C/$1.db" "$2" || return 1
	fi
	ovsdb-server "$OVN_C/$1.db" --remote="punix:$OVN_C/$1.sock" --pidfile="$OVN_C/$1.pid" \
		--unixctl="$OVN_C/$1.ctl" --log-file="$OVN_C/$1.log" --detach --no-chdir || return 1
	OVN_PIDS+=("$(ovsenv_pid "$OVN_C/$1.pid" ovsdb-server)")
}

# ovn_central_start [NB_FILE SB_FILE]: NB and SB ovsdb-servers on unix
# sockets in a new temp dir $OVN_C (empty databases, or copies of the files
# ovn_central_save wrote: then the SB's datapath and port keys and logical
# flow UUIDs, and so what ovn-controller installs, are the saved run's),
# and ovn-northd (no network namespace needed)
ovn_central_start() {
	OVN_C=$(mktemp -d "/tmp/$OVN_PREFIX-ovn.XXXXXX") || return 1
	OVN_NB=unix:$OVN_C/nb.sock
	OVN_SB=unix:$OVN_C/sb.sock
	ovn_start_db nb /usr/share/ovn/ovn-nb.ovsschema "${1:-}" || { ovn_log "nb db"; return 1; }
	ovn_start_db sb /usr/share/ovn/ovn-sb.ovsschema "${2:-}" || { ovn_log "sb db"; return 1; }
	ovn-northd --ovnnb-db="$OVN_NB" --ovnsb-db="$OVN_SB" --pidfile="$OVN_C/northd.pid" \
		--unixctl="$OVN_C/northd.ctl" --log-file="$OVN_C/northd.log" --detach --no-chdir || {
		ovn_log "northd"
		return 1
	}
	OVN_PIDS+=("$(ovsenv_pid "$OVN_C/northd.pid" ovn-northd)")
	[[ -n ${1:-} ]] || ovn_nbctl init
}

# ovn_central_save NB_FILE SB_FILE: the NB and SB databases as they are now,
# each a database file of one snapshot (ovsdb-client backup)
ovn_central_save() {
	ovsdb-client backup "$OVN_NB" >"$1" && ovsdb-client backup "$OVN_SB" >"$2"
}

# ovn_central_stop: stop northd and the databases
ovn_central_stop() {
	local p
	for p in "${OVN_PIDS[@]}"; do
		ovsenv_kill "$p" 5
	done
	OVN_PIDS=()
}

# ovn_underlay N1 IP1 N2 IP2: veth $OVN_PREFIX-uN1 (in chassis N1's
# namespace, address IP1/26) -- $OVN_PREFIX-uN2 (N2's, IP2/26); makes the
# two chassis namespaces
ovn_underlay() {
	local n1=$1 ip1=$2 n2=$3 ip2=$4 ns1=$OVN_PREFIX-hv$1 ns2=$OVN_PREFIX-hv$3
	ovn_netns_add "$ns1" || return 1
	ovn_netns_add "$ns2" || return 1
	ip link add "$OVN_PREFIX-u$n1" netns "$ns1" type veth peer name "$OVN_PREFIX-u$n2" netns "$ns2" || return 1
	ip -n "$ns1" addr add "$ip1/26" dev "$OVN_PREFIX-u$n1"
	ip -n "$ns2" addr add "$ip2/26" dev "$OVN_PREFIX-u$n2"
	ip -n "$ns1" link set "$OVN_PREFIX-u$n1" up
	ip -n "$ns2" link set "$OVN_PREFIX-u$n2" up
}

# ovn_chassis N ENCAP_IP SWITCH VIF:IFACE_ID...: the chassis itself (run
# in a background subshell by ovn_chassis_start)
ovn_chassis() {
	local n=$1 ip=$2 sw=$3
	shift 3
	local name=hv$n ns=$OVN_PREFIX-hv$n ofp=0 v ctl_pid=""
	local -a ports=()
	for v in "$@"; do
		ofp=$((ofp + 1))
		ports+=(-p "${v%%:*}=$ofp")
	done
	ovn_stop_chassis() {
		if [[ -n $ctl_pid ]]; then
			timeout 10 ovs-appctl -t "$OVSENV_DIR/ovn-controller.$ctl_pid.ctl" exit >/dev/null 2>&1
			ovsenv_kill "$ctl_pid" 5
			ctl_pid=""
		fi
		ovsenv_stop
	}
	trap ovn_stop_chassis EXIT
	trap 'exit 130' INT TERM
	case $sw in
	ovs) OVSENV_VSWITCHD=ovs-vswitchd ;;
	gswitch) OVSENV_VSWITCHD=$OVN_GSWITCH ;;
	*)
		ovn_log "$name: SWITCH must be ovs or gswitch, not $sw"
		exit 1
		;;
	esac
	OVSENV_KEEP=${OVN_KEEP:-0}
	ovsenv_start -n "$ns" -b br-int -P OpenFlow10,OpenFlow13,OpenFlow15 -s \
		-d "000000000000000$n" -m "02:00:00:00:0$n:fe" "${ports[@]}" || {
		ovn_log "$name: $sw did not start"
		exit 1
	}
	echo "$OVSENV_DIR" >"$OVN_C/$name.dir"
	ovsenv_vsctl add-br br-ex -- set bridge br-ex datapath_type=netdev \
		"other-config:hwaddr=\"02:00:00:00:0$n:fd\"" || exit 1
	for v in "$@"; do
		ovsenv_vsctl set interface "${v%%:*}" "external_ids:iface-id=${v#*:}" || exit 1
	done
	ovsenv_vsctl set open . "external_ids:system-id=$name" "external_ids:hostname=$name" \
		"external_ids:ovn-remote=$OVN_SB" external_ids:ovn-encap-type=geneve \
		"external_ids:ovn-encap-ip=$ip" external_ids:ovn-bridge-mappings=physnet:br-ex \
		external_ids:ovn-bridge=br-int || exit 1
	OVN_RUNDIR=$OVSENV_DIR ovsenv_nsx ovn-controller "$OVSENV_DB" \
		--pidfile="$OVSENV_DIR/ovn-controller.pid" --log-file="$OVSENV_DIR/ovn-controller.log" --detach --no-chdir || exit 1
	ctl_pid=$(ovsenv_pid "$OVSENV_DIR/ovn-controller.pid" ovn-controller) || exit 1
	touch "$OVN_C/$name.up"
	while [[ ! -e $OVN_C/stop && ! -e $OVN_C/$name.stop ]]; do sleep 0.2; done
	exit 0
}

# ovn_chassis_start N ENCAP_IP SWITCH VIF:IFACE_ID...: start chassis hvN
# in the background (see the top); ovn_chassis_wait_up waits for it
ovn_chassis_start() {
	(ovn_chassis "$@") &
	OVN_CH_PIDS+=($!)
}

# ovn_chassis_wait_up NAME...: wait (up to 60 s) until the chassis are up;
# false if one is not (its subshell failed or it took too long)
ovn_chassis_wait_up() {
	local i c ok
	for ((i = 0; i < 300; i++)); do
		ok=1
		for c in "$@"; do [[ -e $OVN_C/$c.up ]] || ok=0; done
		((ok)) && return 0
		for c in "${OVN_CH_PIDS[@]}"; do ovsenv_alive "$c" || return 1; done
		sleep 0.2
	done
	return 1
}

# ovn_on NAME CMD...: run CMD (a program or a function) in a subshell with
# chassis NAME's environment: OVS_RUNDIR and the other OVS_*DIR, OVSENV_DIR,
# OVSENV_DB, OVSENV_NS, OVSENV_CTL (so plain ovs-ofctl/ovs-vsctl/ovs-appctl,
# and ovsenv_vsctl/ovsenv_ofctl/ovsenv_nsx, address that chassis)
ovn_on() {
	local name=$1 dir
	shift
	dir=$(cat "$OVN_C/$name.dir" 2>/dev/null) || { ovn_log "no chassis $name"; return 1; }
	(
		OVSENV_DIR=$dir OVSENV_DB=unix:$dir/db.sock OVSENV_CTL=$dir/ovs-vswitchd.ctl
		OVSENV_NS=$OVN_PREFIX-$name OVSENV_BR=br-int
		export OVS_RUNDIR=$dir OVS_DBDIR=$dir OVS_LOGDIR=$dir OVS_SYSCONFDIR=$dir
		export OVSENV_DIR OVSENV_DB OVSENV_CTL OVSENV_NS OVSENV_BR
		"$@"
	)
}

# ovn_chassis_stop NAME: stop chassis NAME (ovn-controller, then its switch)
ovn_chassis_stop() {
	[[ -n $OVN_C ]] && touch "$OVN_C/$1.stop"
}

# ovn_flows_settle NAME...: wait (up to 120 s) until the chassis's br-int
# flow tables stop changing (3 s unchanged); false if they never do
ovn_flows_settle() {
	local prev="" cur same=0 d i
	for ((i = 0; i < 120 && same < 3; i++)); do
		cur=""
		for d in "$@"; do
			cur+=$(ovn_on "$d" ovs-ofctl -O OpenFlow15 dump-flows br-int --no-stats 2>/dev/null | md5sum)
		done
		if [[ $cur == "$prev" ]]; then same=$((same + 1)); else same=0; fi
		prev=$cur
		sleep 1
	done
	((same >= 3))
}

# ovn_controller_ctl: (with ovn_on NAME) the chassis's ovn-controller
# unixctl socket, for ovn-appctl -t
ovn_controller_ctl() {
	echo "$OVSENV_DIR/ovn-controller.$(cat "$OVSENV_DIR/ovn-controller.pid").ctl"
}

# ovn_dump NAME DIR: (with ovn_on NAME) what ovn-controller left in the
# chassis's br-int, into DIR: for V in 15 13, ovs-ofctl -O OpenFlowV
# dump-flows --no-stats, dump-groups, dump-meters, dump-tlv-map into
# NAME.{flows,groups,meters,tlv-map}.ofV.raw (exit status in .rc); and what
# names their run-time numbers: NAME.ports (br-int's interfaces, "OFPORT
# NAME IFACE_ID", the VIFs' external_ids:iface-id) and NAME.ct-zones
# (ovn-controller's ct-zone-list, "NAME ZONE"); NAME.tunnels, the tunnel
# interfaces' rows (the columns ovs-vswitchd writes, less ofport and
# statistics; $OVN_PREFIX- written PREFIX-)
ovn_dump() {
	local name=$1 dir=$2 v i
	for v in 15 13; do
		ovsenv_ofctl -O OpenFlow$v dump-flows br-int --no-stats >"$dir/$name.flows.of$v.raw" 2>&1
		echo $? >"$dir/$name.flows.of$v.rc"
		ovsenv_ofctl -O OpenFlow$v dump-groups br-int >"$dir/$name.groups.of$v.raw" 2>&1
		echo $? >"$dir/$name.groups.of$v.rc"
		ovsenv_ofctl -O OpenFlow$v dump-meters br-int >"$dir/$name.meters.of$v.raw" 2>&1
		echo $? >"$dir/$name.meters.of$v.rc"
		ovsenv_ofctl -O OpenFlow$v dump-tlv-map br-int >"$dir/$name.tlv-map.of$v.raw" 2>&1
		echo $? >"$dir/$name.tlv-map.of$v.rc"
	done
	for i in $(ovsenv_vsctl list-ifaces br-int); do
		printf '%s %s %s\n' "$(ovsenv_vsctl get interface "$i" ofport)" "$i" \
			"$(ovsenv_vsctl --if-exists get interface "$i" external_ids:iface-id | tr -d '"')"
	done | sort -n >"$dir/$name.ports"
	for i in $(ovsenv_vsctl list-ifaces br-int); do
		case $(ovsenv_vsctl get interface "$i" type) in geneve | vxlan) ;; *) continue ;; esac
		ovsenv_vsctl --columns=name,type,options,error,admin_state,link_state,link_speed,duplex,ifindex,mtu,status \
			list interface "$i" | sed "s/$OVN_PREFIX-/PREFIX-/g"
	done >"$dir/$name.tunnels"
	timeout 20 ovn-appctl -t "$(ovn_controller_ctl)" ct-zone-list | sort >"$dir/$name.ct-zones"
}

# ovn_vm CH VIF VMNS MAC [ADDR/PLEN GATEWAY]...: a VM for chassis CH's VIF:
# namespace VMNS (deleted by ovn_cleanup) gets VIF's peer VIF-x with MAC,
# each IPv4 or IPv6 ADDR/PLEN and a default route to the GATEWAY after it
ovn_vm() {
	local ch=$1 vif=$2 vm=$3 mac=$4
	shift 4
	ovn_netns_add "$vm" || return 1
	ip -n "$OVN_PREFIX-$ch" link set "$vif-x" netns "$vm" || return 1
	ip -n "$vm" link set "$vif-x" address "$mac" || return 1
	ip -n "$vm" link set "$vif-x" up || return 1
	while (($# >= 2)); do
		if [[ $1 == *:* ]]; then
			ip -n "$vm" addr add "$1" dev "$vif-x" nodad || return 1
			ip -n "$vm" -6 route add default via "$2" dev "$vif-x" || return 1
		else
			ip -n "$vm" addr add "$1" dev "$vif-x" || return 1
			ip -n "$vm" route add default via "$2" dev "$vif-x" || return 1
		fi
		shift 2
	done
}

# ovn_configure_nb: the issue's logical topology (tests/golden/ovn/README.md)
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
ovn_configure_nb() {
	local nbctl=ovn_nbctl
	# switches and VIFs
	$nbctl ls-add sw0 -- ls-add sw1 -- ls-add ext
	$nbctl lsp-add sw0 sw0-p1 -- lsp-set-addresses sw0-p1 "02:00:00:00:00:11 198.51.100.11 2001:db8:0:1::11"
	$nbctl lsp-add sw0 sw0-p2 -- lsp-set-addresses sw0-p2 "02:00:00:00:00:12 198.51.100.12 2001:db8:0:1::12"
	$nbctl lsp-add sw1 sw1-p1 -- lsp-set-addresses sw1-p1 "02:00:00:00:01:39 198.51.100.139 2001:db8:0:2::139"
	$nbctl lsp-add sw1 sw1-p2 -- lsp-set-addresses sw1-p2 "02:00:00:00:01:40 198.51.100.140 2001:db8:0:2::140"
	$nbctl lsp-set-port-security sw0-p1 "02:00:00:00:00:11 198.51.100.11 2001:db8:0:1::11"
	# router, its ports, the gateway port on hv1 with gateway_mtu
	$nbctl lr-add lr0
	$nbctl lrp-add lr0 lrp-sw0 02:00:00:00:ff:01 198.51.100.1/25 2001:db8:0:1::1/64
	$nbctl lrp-add lr0 lrp-sw1 02:00:00:00:ff:02 198.51.100.129/25 2001:db8:0:2::1/64
	$nbctl lrp-add lr0 lrp-ext 02:00:00:00:ff:03 203.0.113.1/25
	$nbctl lrp-set-gateway-chassis lrp-ext hv1 20
	$nbctl set logical_router_port lrp-ext options:gateway_mtu=1400
	local s
	for s in sw0 sw1 ext; do
		$nbctl lsp-add "$s" "$s-lr0" -- lsp-set-type "$s-lr0" router \
			-- lsp-set-addresses "$s-lr0" router
	done
	$nbctl lsp-set-options sw0-lr0 router-port=lrp-sw0
	$nbctl lsp-set-options sw1-lr0 router-port=lrp-sw1
	$nbctl lsp-set-options ext-lr0 router-port=lrp-ext
	# localnet to the external network
	$nbctl lsp-add ext ext-localnet -- lsp-set-type ext-localnet localnet \
		-- lsp-set-addresses ext-localnet unknown -- lsp-set-options ext-localnet network_name=physnet
	$nbctl lr-route-add lr0 0.0.0.0/0 203.0.113.126
	# NAT: SNAT for the inside, a floating IP for sw0-p1
	$nbctl lr-nat-add lr0 snat 203.0.113.10 198.51.100.0/24
	$nbctl lr-nat-add lr0 dnat_and_snat 203.0.113.20 198.51.100.11
	# port groups and ACLs
	$nbctl pg-add pg_web sw0-p1 sw1-p1
	$nbctl pg-add pg_all sw0-p1 sw0-p2 sw1-p1 sw1-p2
	$nbctl meter-add acl-meter drop 10 pktps
	$nbctl acl-add pg_all from-lport 1001 'inport == @pg_all && ip' allow-related
	$nbctl acl-add pg_web to-lport 1002 \
		'outport == @pg_web && ip4 && ip4.src == {198.51.100.0/25, 198.51.100.128/25} && tcp.dst == {80, 443}' allow-related
	$nbctl acl-add pg_web to-lport 1002 'outport == @pg_web && icmp4' allow-related
	$nbctl --log --meter=acl-meter --severity=alert --name=web-drop \
		acl-add pg_web to-lport 1000 'outport == @pg_web && ip' drop
	# load balancer (with hairpin: its backends are on the same switches)
	$nbctl lb-add lb0 198.51.100.200:80 198.51.100.11:80,198.51.100.139:80 tcp
	$nbctl ls-lb-add sw0 lb0 -- ls-lb-add sw1 lb0 -- lr-lb-add lr0 lb0
	# QoS: DSCP marking and a rate limit (a meter)
	$nbctl qos-add sw0 from-lport 100 'inport == "sw0-p2"' dscp=10
	$nbctl qos-add sw0 from-lport 101 'inport == "sw0-p1"' rate=10000 burst=1000
	# native DHCP (v4 and v6)
	local d4 d6
	d4=$($nbctl create dhcp_options cidr=198.51.100.0/25 \
		options='"lease_time"="3600" "router"="198.51.100.1" "server_id"="198.51.100.1" "server_mac"="02:00:00:00:ff:01" "dns_server"="198.51.100.1"')
	d6=$($nbctl create dhcp_options cidr='"2001:db8:0:1::/64"' \
		options='"server_id"="02:00:00:00:ff:01"')
	$nbctl lsp-set-dhcpv4-options sw0-p1 "$d4" -- lsp-set-dhcpv4-options sw0-p2 "$d4"
	$nbctl lsp-set-dhcpv6-options sw0-p1 "$d6" -- lsp-set-dhcpv6-options sw0-p2 "$d6"
}

# ovn_cleanup: stop every chassis (each stops its ovn-controller and switch
# daemon), the central daemons, delete our namespaces and (unless OVN_KEEP=1)
# the central temp dir
ovn_cleanup() {
	local p ns
	[[ -n $OVN_C ]] && touch "$OVN_C/stop"
	for p in "${OVN_CH_PIDS[@]}"; do
		for _ in $(seq 100); do ovsenv_alive "$p" || break; sleep 0.2; done
		ovsenv_kill "$p" 2
		wait "$p" 2>/dev/null
	done
	OVN_CH_PIDS=()
	ovn_central_stop
	for ns in "${OVN_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	OVN_NETNS=()
	if [[ -n $OVN_C ]]; then
		if [[ ${OVN_KEEP:-0} == 1 ]]; then ovn_log "kept $OVN_C"; else rm -rf "$OVN_C"; fi
	fi
	OVN_C=""
}
