#!/usr/bin/env bash
# capture-vswitchd.sh - record ovs-vswitchd's own unixctl answers (the
# commands plain `ovs-appctl CMD` sends to it) from OVS 3.1, for
# tests/vswitchd_test.go (TestPrivilegedVswitchdDaemon), which sends the same
# commands to gswitch started as a daemon and compares.
#
# A private OVS (tests/ovsref/ovs-env.sh: ovs-vswitchd --pidfile --unixctl
# --log-file --detach --no-chdir, bridge br0, netdev datapath, no ports) gets
# each line of tests/golden/vswitchd/appctl.steps as `ovs-appctl LINE` (no
# -t: OVS_RUNDIR is the private one, so ovs-appctl reads ovs-vswitchd.pid),
# and tests/golden/vswitchd/appctl.txt gets, per line, "=== LINE", what
# ovs-appctl printed (stdout, then stderr) and "rc=STATUS" (all of it through
# tests/ovsref/normalize plain: trailing blanks go). The last step is
# `exit --cleanup`. ovs-vswitchd's log until then is kept as
# tests/golden/vswitchd/ovs-vswitchd.log (its line format is what
# gswitch's --log-file follows).
#
# Usage (as root): tests/ovsref/capture-vswitchd.sh
# Environment: GOLDEN_OUT=DIR writes DIR/vswitchd/ instead of
# tests/golden/vswitchd/; CAPTURE_NS=NAME is the namespace (default s5v-ref).
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SRC=$ROOT/tests/golden/vswitchd
GOLD=${GOLDEN_OUT:-$ROOT/tests/golden}/vswitchd
# shellcheck source=ovs-env.sh
source "$HERE/ovs-env.sh"

tmpd=$(mktemp -d /tmp/s5v-capture-vswitchd.XXXXXX)
trap 'ovsenv_stop; rm -rf "$tmpd"' EXIT
go build -C "$ROOT" -o "$tmpd/normalize" ./tests/ovsref/normalize || exit 1
ovsenv_start -n "${CAPTURE_NS:-s5v-ref}" || exit 1
mkdir -p "$GOLD"
out=$(mktemp)
while IFS= read -r step; do
	[[ -z $step ]] && continue
	printf '=== %s\n' "$step" >>"$out"
	# shellcheck disable=SC2086 # a step is words
	ovsenv_nsx timeout 20 ovs-appctl $step >>"$out" 2>"$out.err"
	rc=$?
	cat "$out.err" >>"$out"
	printf 'rc=%d\n' "$rc" >>"$out"
done <"$SRC/appctl.steps"
rm -f "$out.err"
"$tmpd/normalize" plain <"$out" >"$GOLD/appctl.txt" || exit 1
rm -f "$out"
sleep 0.5
cp "$OVSENV_DIR/ovs-vswitchd.log" "$GOLD/ovs-vswitchd.log"
