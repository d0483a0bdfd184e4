# shellcheck shell=bash disable=SC2034,SC2154
# (SC2034/SC2154: the registries are associative arrays declared in netns-bench.sh)
# SNAT adapters (private copy of the harness, docs/bench/nat), sourced by netns-bench.sh.
# (Hook contract: see adapters/kernel.sh; plus the optional NAME_hosts_up hook that
# bring_up calls right after topo_up.)
#
# Both run flows/snat.flows: left 198.51.100.1 -> right 198.51.100.2 with the source
# translated to 198.51.100.100:20000-29999 by ct(commit,nat(src=...)), replies
# un-NATed by ct(nat). Same start/stop/offload settings as gswitch-ct and
# ovs-userspace-ct-tso; only the flow file differs.

ALL_ADAPTERS+=" gswitch-nat ovs-userspace-nat-tso"
NAT_IP=198.51.100.100

ADAPTER_DESC[gswitch-nat]="gswitch with conntrack SNAT, flows/snat.flows"
ADAPTER_OFFLOAD[gswitch-nat]=on
ADAPTER_FIREWALL[gswitch-nat]=1

ADAPTER_DESC[ovs-userspace-nat-tso]="Open vSwitch $(ovs-vswitchd --version 2>/dev/null | sed -n '1s/.* //p'), datapath_type=netdev, userspace conntrack SNAT, flows/snat.flows, other_config:userspace-tso-enable=true, host TX offloads on"
ADAPTER_OFFLOAD[ovs-userspace-nat-tso]=on
ADAPTER_FIREWALL[ovs-userspace-nat-tso]=1

# nat_hosts_up: the right host must reach the NAT address 198.51.100.100, which
# nobody answers ARP for: a permanent neighbour entry with the left host's MAC
# (the switch un-NATs the destination back to 198.51.100.1 on the way).
nat_hosts_up() {
	local mac
	mac=$(nsx "$NS_L" cat "/sys/class/net/$IF_L/address") || return 1
	[[ $mac =~ ^[0-9a-f]{2}(:[0-9a-f]{2}){5}$ ]] || return 1
	ip -n "$NS_R" neigh replace "$NAT_IP" lladdr "$mac" dev "$IF_R" nud permanent || return 1
	say "INFO adapter=$LABEL right host: neighbour $NAT_IP lladdr $mac (permanent)"
}

# nat_check_extra: NAT-specific functional checks (check mode), after the firewall checks
nat_check_extra() {
	local dump rrpid srv json gbps peers
	bg_start "$NS_L" "$TMP_RUN/rr-nat.log" timeout 15 "$GSBLOAD" rr -addr "$IP4_R:$PORT_ECHO" -t 4s
	rrpid=$BG_LAST
	sleep 1.5
	dump=$("$(fn "$CUR_ADAPTER")_ct_dump" 2>&1)
	grep -E "dport=$PORT_ECHO\)" <<<"$dump" | head -n 3 | sed 's/^/CTDUMP nat: /'
	if grep -F "src=$IP4_L,dst=$IP4_R," <<<"$dump" | grep -F "dport=$PORT_ECHO)" |
		grep -qE "reply=\(src=$IP4_R,dst=$NAT_IP,sport=$PORT_ECHO,dport=2[0-9]{4}\)"; then
		check_line PASS nat_reply_tuple "tcp $IP4_L -> $IP4_R:$PORT_ECHO has reply tuple $IP4_R:$PORT_ECHO -> $NAT_IP:2xxxx"
	else
		check_line FAIL nat_reply_tuple "no entry with reply=(src=$IP4_R,dst=$NAT_IP,sport=$PORT_ECHO,dport=20000-29999)"
	fi
	peers=$(nsx "$NS_R" ss -Htn state established "sport = :$PORT_ECHO" | awk '{print $NF}')
	say "INFO adapter=$LABEL right host's peers on :$PORT_ECHO: $(tr '\n' ' ' <<<"$peers")"
	if [[ -n $peers ]] && ! grep -qvE "^$NAT_IP:2[0-9]{4}$" <<<"$peers"; then
		check_line PASS nat_seen_by_right_host "right host's TCP peer is $NAT_IP:2xxxx"
	else
		check_line FAIL nat_seen_by_right_host "right host's peers: $(tr '\n' ' ' <<<"$peers")"
	fi
	wait_exit "$rrpid" 8
	if [[ $(grep -o 'ok=[01]' "$TMP_RUN/rr-nat.log") == ok=1 ]]; then
		check_line PASS nat_tcp_request_response "$(grep -o 'transactions=[0-9]*' "$TMP_RUN/rr-nat.log") round trips through SNAT"
	else
		check_line FAIL nat_tcp_request_response "$(head -c 200 "$TMP_RUN/rr-nat.log")"
	fi
	# ping and its ICMP entry
	expect nat_ipv4_ping open "$(ping_once "$NS_L" "$IP4_R")"
	dump=$("$(fn "$CUR_ADAPTER")_ct_dump" 2>&1)
	grep '^icmp,' <<<"$dump" | head -n 2 | sed 's/^/CTDUMP nat: /'
	if grep '^icmp,' <<<"$dump" | grep -F "src=$IP4_L,dst=$IP4_R," | grep -qF "reply=(src=$IP4_R,dst=$NAT_IP,"; then
		check_line PASS nat_icmp_reply_tuple "icmp entry translated to $NAT_IP"
	else
		check_line FAIL nat_icmp_reply_tuple "no icmp entry with reply dst $NAT_IP"
	fi
	# 3 s of iperf3 through the NAT; the server must see the NAT address
	bg_start "$NS_R" "$TMP_RUN/iperf3-nat-server.log" timeout 40 iperf3 -s -1 -B "$IP4_R" -p "$PORT_IPERF"
	srv=$BG_LAST
	wait_for 50 0.1 listening "$NS_R" "$PORT_IPERF"
	json=$(nsx "$NS_L" timeout 25 iperf3 -c "$IP4_R" -p "$PORT_IPERF" -t 3 -J 2>&1)
	wait_exit "$srv" 5
	gbps=$(jq -r '.end.sum_received.bits_per_second // empty' <<<"$json" 2>/dev/null)
	say "INFO adapter=$LABEL iperf3 server: $(grep -m1 'Accepted connection' "$TMP_RUN/iperf3-nat-server.log")"
	if [[ -n $gbps ]] && awk -v b="$gbps" 'BEGIN{exit !(b > 0)}' &&
		grep -q "Accepted connection from $NAT_IP, port 2[0-9]\{4\}" "$TMP_RUN/iperf3-nat-server.log"; then
		check_line PASS nat_iperf3 "$(awk -v b="$gbps" 'BEGIN{printf "%.3f", b / 1e9}') Gbit/s for 3 s, server saw $NAT_IP"
	else
		check_line FAIL nat_iperf3 "gbps=${gbps:-none} $(jq -r '.error // empty' <<<"$json" 2>/dev/null)"
	fi
}

gswitch_nat_available() { gswitch_available; }
gswitch_nat_hosts_up() { nat_hosts_up; }
gswitch_nat_up() { gswitch_start "$BENCH_DIR/flows/snat.flows"; }
gswitch_nat_down() { gswitch_stop; }
gswitch_nat_ct_dump() { gswitch_ct_ct_dump; }
gswitch_nat_ct_count() { gswitch_ct_ct_count; }
gswitch_nat_logs() { gswitch_logs; }
gswitch_nat_snapshot() { gswitch_ct_snapshot "$1"; }
gswitch_nat_check_extra() {
	gswitch_ct_check_extra
	nat_check_extra
}

ovs_userspace_nat_tso_available() { ovs_userspace_available; }
ovs_userspace_nat_tso_hosts_up() { nat_hosts_up; }
ovs_userspace_nat_tso_up() { OVS_TSO=1 ovs_start "$BENCH_DIR/flows/snat.flows"; }
ovs_userspace_nat_tso_down() { ovs_stop; }
ovs_userspace_nat_tso_ct_dump() { ovs_userspace_ct_ct_dump; }
ovs_userspace_nat_tso_ct_count() { ovs_userspace_ct_ct_count; }
ovs_userspace_nat_tso_logs() { ovs_logs; }
ovs_userspace_nat_tso_snapshot() { ovs_snapshot "$1"; }
ovs_userspace_nat_tso_check_extra() {
	ovs_userspace_ct_check_extra
	nat_check_extra
}

# Supplement (not the brief's flows): the same pipeline with the SNAT port range
# widened to 1024-65535 (flows/snat-wide.flows), to show how much of tcp_cps is the
# 10000-port pool of snat.flows (TIME_WAIT entries hold their NAT port for 30 s+).
ALL_ADAPTERS+=" gswitch-nat-wide ovs-userspace-nat-wide-tso"
ADAPTER_DESC[gswitch-nat-wide]="gswitch with conntrack SNAT, flows/snat-wide.flows (ports 1024-65535)"
ADAPTER_OFFLOAD[gswitch-nat-wide]=on
ADAPTER_FIREWALL[gswitch-nat-wide]=1
ADAPTER_DESC[ovs-userspace-nat-wide-tso]="as ovs-userspace-nat-tso, flows/snat-wide.flows (ports 1024-65535)"
ADAPTER_OFFLOAD[ovs-userspace-nat-wide-tso]=on
ADAPTER_FIREWALL[ovs-userspace-nat-wide-tso]=1
gswitch_nat_wide_available() { gswitch_available; }
gswitch_nat_wide_hosts_up() { nat_hosts_up; }
gswitch_nat_wide_up() { gswitch_start "$BENCH_DIR/flows/snat-wide.flows"; }
gswitch_nat_wide_down() { gswitch_stop; }
gswitch_nat_wide_ct_dump() { gswitch_ct_ct_dump; }
gswitch_nat_wide_ct_count() { gswitch_ct_ct_count; }
gswitch_nat_wide_logs() { gswitch_logs; }
ovs_userspace_nat_wide_tso_available() { ovs_userspace_available; }
ovs_userspace_nat_wide_tso_hosts_up() { nat_hosts_up; }
ovs_userspace_nat_wide_tso_up() { OVS_TSO=1 ovs_start "$BENCH_DIR/flows/snat-wide.flows"; }
ovs_userspace_nat_wide_tso_down() { ovs_stop; }
ovs_userspace_nat_wide_tso_ct_dump() { ovs_userspace_ct_ct_dump; }
ovs_userspace_nat_wide_tso_ct_count() { ovs_userspace_ct_ct_count; }
ovs_userspace_nat_wide_tso_logs() { ovs_logs; }
