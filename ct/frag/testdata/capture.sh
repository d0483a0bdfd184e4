#!/bin/bash
# Regenerates the golden files in this directory from real Open vSwitch 3.1
# (ovs-vswitchd with a private netdev bridge in a temporary directory, dummy
# ports only (--enable-dummy=override), so no kernel interface is made and
# no traffic leaves the daemon). Run as root: ./capture.sh [OUTDIR]
# (default: this directory). It takes about a minute: it waits for OVS's
# 15 s fragment timeout and 10 s purge delay.
set -eu
export PYTHONDONTWRITEBYTECODE=1
OUT=$(realpath "${1:-$(dirname "$0")}")
cd "$(dirname "$0")"
D=$(mktemp -d /tmp/gfr-capture.XXXXXX)
export OVS_RUNDIR=$D OVS_LOGDIR=$D OVS_DBDIR=$D OVS_SYSCONFDIR=$D
cleanup() {
	for p in ovs-vswitchd ovsdb-server; do
		[ -f "$D/$p.pid" ] && kill "$(cat "$D/$p.pid")" 2>/dev/null || true
	done
	sleep 0.5
	rm -rf "$D"
}
trap cleanup EXIT
ovsdb-tool create "$D/conf.db" /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server --remote="punix:$D/db.sock" --pidfile="$D/ovsdb-server.pid" \
	--unixctl="$D/ovsdb-server.ctl" --log-file="$D/ovsdb-server.log" --detach "$D/conf.db"
ovs-vsctl --db="unix:$D/db.sock" --no-wait init
ovs-vswitchd "unix:$D/db.sock" --pidfile="$D/ovs-vswitchd.pid" \
	--unixctl="$D/ovs-vswitchd.ctl" --log-file="$D/ovs-vswitchd.log" --detach --no-chdir \
	--disable-system --enable-dummy=override
ovs-vsctl --db="unix:$D/db.sock" add-br gfrbr0 -- set bridge gfrbr0 datapath_type=netdev

# rpc METHOD ARGS...: the raw unixctl JSON-RPC answer, "result:" or "error:"
# then the text exactly as the daemon sent it.
rpc() {
	python3 - "$D/ovs-vswitchd.ctl" "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(json.dumps({"id": 0, "method": sys.argv[2], "params": sys.argv[3:]}).encode())
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
    try:
        r = json.loads(buf)
        break
    except ValueError:
        pass
if r.get("error") is not None:
    sys.stdout.write("error:" + r["error"])
else:
    sys.stdout.write("result:" + r["result"])
PY
}
status() { rpc dpctl/ipf-get-status "$@" | sed '1s/^result://'; }
send() { # send FRAME: packet-out through ct in zone 9
	ovs-ofctl packet-out "unix:$D/gfrbr0.mgmt" \
		"in_port=LOCAL packet=$(python3 frames.py "$1") actions=ct(commit,zone=9)"
}

status > "$OUT/status_default.txt"
status -m > "$OUT/status_default_m.txt"

# Control commands: each is "> COMMAND" then the daemon's answer.
: > "$OUT/commands.txt"
while read -r cmd; do
	[ -n "$cmd" ] || continue
	# shellcheck disable=SC2086
	{ echo "> $cmd"; rpc $cmd; } >> "$OUT/commands.txt"
done <<'CMDS'
dpctl/ipf-set-min-frag v4 399
dpctl/ipf-set-min-frag v6 399
dpctl/ipf-set-min-frag v4 400
dpctl/ipf-set-min-frag v6 400
dpctl/ipf-set-min-frag v4 4294967295
dpctl/ipf-set-min-frag v5 400
dpctl/ipf-set-min-frag v4 abc
dpctl/ipf-set-min-frag v4 -1
dpctl/ipf-set-max-nfrags 5001
dpctl/ipf-set-max-nfrags 5000
dpctl/ipf-set-max-nfrags 0
dpctl/ipf-set-max-nfrags x
dpctl/ipf-set-enabled v4
dpctl/ipf-set-enabled v6
dpctl/ipf-set-disabled v4
dpctl/ipf-set-disabled v6
dpctl/ipf-set-disabled v7
dpctl/ipf-set-enabled v6x
CMDS
status > "$OUT/status_after_commands.txt"
# Back to the defaults.
rpc dpctl/ipf-set-enabled v4 >/dev/null
rpc dpctl/ipf-set-enabled v6 >/dev/null
rpc dpctl/ipf-set-min-frag v4 1200 >/dev/null
rpc dpctl/ipf-set-min-frag v6 1280 >/dev/null
rpc dpctl/ipf-set-max-nfrags 1000 >/dev/null

# Fragments (see frames.py).
send v4_first
status -m > "$OUT/status_one_first.txt"
send v4_last
status -m > "$OUT/status_v4_complete.txt"
for f in v4_other v4_lastonly v4_small v4_ov_first v4_ov_over \
	v6_firstonly v6_dup v6_small v6_first v6_last; do
	send "$f"
done
status -m > "$OUT/status_mixed.txt"
# 26 s later every held list is past its expiry plus the 10 s purge delay:
# the next batches through ct purge them (one list per batch).
sleep 26
for f in v4_plain v4_plain v4_plain v6_plain; do send "$f"; done
status -m > "$OUT/status_purged.txt"
send v4_first6
sleep 16
send v4_plain
status -m > "$OUT/status_expired.txt"
ovs-vswitchd --version | head -1 > "$OUT/ovs_version.txt"
# The frames, for the Go test that replays this scenario.
python3 -c 'import frames
for k, v in frames.frames.items(): print(k, v.hex())' > "$OUT/frames.txt"
