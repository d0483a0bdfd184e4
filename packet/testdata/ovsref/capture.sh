#!/usr/bin/env bash
# capture.sh - run header-rewriting actions through real Open vSwitch (3.1,
# userspace datapath, dummy ports) and record the frames it sends.
#
# Usage: capture.sh CASES OUT
#   CASES: lines "NAME<TAB>ACTIONS<TAB>FRAME-HEX" (written by
#          go test ./packet -run TestRewriteVsOVS -ovsref.capture)
#   OUT:   lines "NAME<TAB>OUTPUT-HEX", or "NAME<TAB>-" when OVS sent nothing
#
# Each frame is sent with `ovs-ofctl packet-out` (in_port=1, the ACTIONS,
# then output:2); port 2 is a dummy port writing a pcap file. A private
# ovsdb-server and ovs-vswitchd run in a temp dir and are stopped, by the
# PIDs in their pid files, on every exit path. No network is touched.
set -u -o pipefail

CASES=$1
OUT=$2
T=$(mktemp -d /tmp/gsw-pkt-ovs.XXXXXX)
DB_PID=""
VS_PID=""

stop() {
	[[ -n $VS_PID ]] && { timeout 10 ovs-appctl -t "$T/vs.ctl" exit >/dev/null 2>&1; sleep 0.2; kill "$VS_PID" 2>/dev/null; }
	[[ -n $DB_PID ]] && { timeout 10 ovs-appctl -t "$T/db.ctl" exit >/dev/null 2>&1; sleep 0.2; kill "$DB_PID" 2>/dev/null; }
	rm -rf "$T"
}
trap stop EXIT
trap 'exit 130' INT TERM

export OVS_RUNDIR=$T OVS_DBDIR=$T OVS_LOGDIR=$T OVS_SYSCONFDIR=$T
DB=unix:$T/db.sock
ovsdb-tool create "$T/conf.db" /usr/share/openvswitch/vswitch.ovsschema || exit 1
ovsdb-server "$T/conf.db" --remote="punix:$T/db.sock" --pidfile="$T/db.pid" --unixctl="$T/db.ctl" \
	--log-file="$T/db.log" --detach --no-chdir || exit 1
DB_PID=$(cat "$T/db.pid")
ovs-vsctl --db="$DB" --no-wait init || exit 1
ovs-vswitchd "$DB" --enable-dummy --pidfile="$T/vs.pid" --unixctl="$T/vs.ctl" \
	--log-file="$T/vs.log" --detach --no-chdir || exit 1
VS_PID=$(cat "$T/vs.pid")
ovs-vsctl --db="$DB" --timeout=20 add-br br0 -- set bridge br0 datapath_type=netdev fail-mode=secure \
	-- add-port br0 p1 -- set interface p1 type=dummy ofport_request=1 \
	-- add-port br0 p2 -- set interface p2 type=dummy ofport_request=2 "options:tx_pcap=$T/p2.pcap" || exit 1
for ((i = 0; i < 100; i++)); do
	ovs-ofctl -t 2 show br0 >/dev/null 2>&1 && break
	sleep 0.1
done

# records N: the number of packets in the pcap (24-byte header, 16-byte
# record headers with the captured length at offset 8, little-endian).
count() {
	python3 - "$T/p2.pcap" <<'PY'
import struct, sys
try:
    b = open(sys.argv[1], 'rb').read()
except OSError:
    print(0); sys.exit()
n, o = 0, 24
while o + 16 <= len(b):
    l = struct.unpack_from('<I', b, o + 8)[0]
    o += 16 + l
    n += 1
print(n)
PY
}
last() {
	python3 - "$T/p2.pcap" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
o, last = 24, b''
while o + 16 <= len(b):
    l = struct.unpack_from('<I', b, o + 8)[0]
    last = b[o + 16:o + 16 + l]
    o += 16 + l
print(last.hex())
PY
}

: >"$OUT"
n=0
while IFS=$'\t' read -r name actions hex; do
	[[ -n $name ]] || continue
	if ! ovs-ofctl -O OpenFlow13 packet-out br0 "in_port=1 packet=$hex actions=$actions,output:2" 2>"$T/err"; then
		printf '%s\t!%s\n' "$name" "$(tr '\n\t' '  ' <"$T/err")" >>"$OUT"
		continue
	fi
	got=""
	for ((i = 0; i < 20; i++)); do
		c=$(count)
		if ((c > n)); then got=$(last); n=$c; break; fi
		sleep 0.05
	done
	printf '%s\t%s\n' "$name" "${got:--}" >>"$OUT"
done <"$CASES"
