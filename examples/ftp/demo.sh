#!/usr/bin/env bash
# The talk's FTP example, end to end, in network namespaces:
#
#   netns gal-cli                 netns gal-sw                       netns gal-srv
#   gal-c 198.51.100.1  <-veth->  eth0 [switch br0] veth1  <-veth->  gal-s 198.51.100.2
#   (curl, FTP client)            (port 1)        (port 2)           (pyftpdlib on :21)
#
# Flows (ftp.flows) are loaded with plain `ovs-ofctl add-flow br0 ...` as the
# talk types them: the control connection to port 21 is committed with
# ct(commit,alg=ftp), and only connections the FTP helper announced (+rel)
# get through besides it. The demo downloads and uploads a file in passive
# (PASV) and active (PORT) mode, and with gswitch also with EPSV and EPRT,
# checks that an unrelated connection is dropped, and ends with the
# connection table.
#
# Usage (as root):
#   demo.sh [path/to/gswitch]      run it with gswitch (configured by flags;
#                                  MODE=db: as ovs-vswitchd, started by
#                                  scripts/gswitch-ctl, br0 made with ovs-vsctl)
#   SWITCH=ovs demo.sh             run it with a private Open vSwitch 3.1
#                                  (userspace datapath; tests/ovsref/ovs-env.sh)
#
# Packages (Debian): iproute2 curl python3-pyftpdlib openvswitch-switch ethtool
# (openvswitch-switch for ovs-ofctl, and with ethtool for SWITCH=ovs).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SWITCH=${SWITCH:-gswitch}
# shellcheck source=../demo-lib.sh
source "$HERE/../demo-lib.sh"
demo_pick_switch "${1:-}"
PY=/usr/bin/python3 # Debian's, where python3-pyftpdlib is installed
"$PY" -c 'import pyftpdlib' 2>/dev/null || { echo "demo: python3-pyftpdlib missing (apt-get install -y python3-pyftpdlib)" >&2; exit 1; }
NS_CLI=gal-cli NS_SW=gal-sw NS_SRV=gal-srv
CLI=198.51.100.1 SRV=198.51.100.2
TMP=$(mktemp -d /tmp/galftp.XXXXXX)
export OVS_RUNDIR=$TMP
PIDS=()
FAILED=0
OVS_UP=0

DEMO_NS="$NS_CLI $NS_SW $NS_SRV"
trap demo_cleanup EXIT INT TERM

clix() { ip netns exec "$NS_CLI" "$@"; }
srvx() { ip netns exec "$NS_SRV" "$@"; }

for n in $NS_CLI $NS_SW $NS_SRV; do ip netns del "$n" 2>/dev/null || true; ip netns add "$n"; ip netns exec "$n" ip link set lo up; done
swx ip link add eth0 type veth peer name gal-c netns $NS_CLI
swx ip link add veth1 type veth peer name gal-s netns $NS_SRV
swx ip link set eth0 up; swx ip link set veth1 up
clix ip link set gal-c up; srvx ip link set gal-s up
clix ip addr add $CLI/24 dev gal-c
srvx ip addr add $SRV/24 dev gal-s
swx sysctl -qw net.ipv6.conf.all.disable_ipv6=1

if [[ $SWITCH == ovs ]]; then
	# OVS 3.1's userspace datapath cannot take partial (offloaded) checksums
	# from a veth: its conntrack would see bad checksums (+inv). gswitch
	# can, so this is done for OVS only.
	clix ethtool -K gal-c tx off >/dev/null; srvx ethtool -K gal-s tx off >/dev/null
fi
demo_start_br0

demo_add_flows "$HERE/ftp.flows" "the talk's FTP flows"

say "FTP server in $NS_SRV: $PY -m pyftpdlib -i $SRV -p 21 -w -d $TMP/srv -r 20100-20199"
mkdir -p "$TMP/srv" "$TMP/cli"
head -c 200000 /dev/urandom >"$TMP/srv/file.bin"
head -c 150000 /dev/urandom >"$TMP/cli/up.bin"
chmod -R a+rwX "$TMP/srv"
ip netns exec "$NS_SRV" timeout 120 "$PY" -m pyftpdlib -i $SRV -p 21 -w -d "$TMP/srv" -r 20100-20199 >"$TMP/ftpd.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_SRV" "$PY" -m http.server 8080 --bind $SRV >/dev/null 2>&1 &
PIDS+=($!)
# Both servers must listen before the checks (a drop check against a server
# that is not up yet would pass for the wrong reason); checked inside the
# server's namespace, so nothing crosses the switch.
for _ in $(seq 200); do
	srvx ss -Htln 'sport = :21' | grep -q . && srvx ss -Htln 'sport = :8080' | grep -q . && break
	sleep 0.1
done

say "traffic"
URL=ftp://$SRV
C=(timeout 20 curl -sS --max-time 15)
get() { # get OUTFILE CURL-MODE-ARGS...: download file.bin and compare
	local out=$1; shift
	rm -f "$out"
	clix "${C[@]}" "$@" -o "$out" "$URL/file.bin" && cmp "$TMP/srv/file.bin" "$out"
}
put() { # put NAME CURL-MODE-ARGS...: upload up.bin as NAME and compare
	local name=$1; shift
	clix "${C[@]}" "$@" -T "$TMP/cli/up.bin" "$URL/$name" && cmp "$TMP/cli/up.bin" "$TMP/srv/$name"
}
check "passive download (PASV, 227 reply)" 0 get "$TMP/cli/pasv.bin" --disable-epsv
check "passive upload (PASV, 227 reply)" 0 put up-pasv.bin --disable-epsv
check "active download (PORT)" 0 get "$TMP/cli/port.bin" --ftp-port $CLI:20040-20049 --disable-eprt
check "active upload (PORT)" 0 put up-port.bin --ftp-port $CLI:20050-20059 --disable-eprt
# RFC 2428 EPSV/EPRT over IPv4: curl's default. Open vSwitch handles them
# only since "conntrack: Add support for IPv4 EPRT and EPSV" (after 3.1), so
# they are tried with gswitch (or EXTENDED=1).
if [[ $SWITCH == gswitch || ${EXTENDED:-0} == 1 ]]; then
	check "passive download (EPSV, 229 reply)" 0 get "$TMP/cli/epsv.bin"
	check "active upload (EPRT)" 0 put up-eprt.bin --ftp-port $CLI:20060-20069
fi
check "TCP client -> server:8080 (not announced) is dropped" 1 clix timeout 5 curl -sf -o /dev/null --connect-timeout 3 http://$SRV:8080/

say "ovs-ofctl dump-flows br0"
swx ovs-ofctl dump-flows br0
say "$DUMP"
dump_conntrack | sort
if [[ $FAILED != 0 ]]; then
	echo; echo "demo: some checks FAILED; logs:"
	cat "$TMP/ftpd.log"
	[[ $SWITCH == ovs ]] || cat "$TMP/gswitch.log"
	exit 1
fi
echo; echo "demo: all checks passed ($SWITCH, $MODE)"
