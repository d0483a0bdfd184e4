#!/usr/bin/env bash
# run-controller.sh - real OVN 23.03's ovn-controller drives a switch daemon
# on the two chassis of capture-ovn.sh's topology, starting from the NB and
# SB databases that capture saved (tests/golden/ovn/nb.db, sb.db: so the
# datapath and port keys and the logical flows, and so what ovn-controller
# installs, are the capture's), and it dumps what the switch was left with.
# tests/ovn_controller_test.go (TestPrivilegedOVNControllerDrivesGswitch)
# runs it with gswitch and compares the dumps with the goldens OVS gave.
#
# Usage (as root): [SWITCH=gswitch|ovs] [OVN_PREFIX=P] [OVN_GSWITCH=BIN] \
#                  tests/ovn/run-controller.sh OUTDIR
#   SWITCH       the switch daemon of both chassis (default gswitch)
#   OVN_PREFIX   namespace, interface and temp dir prefix (default s7p)
#   OVN_GSWITCH  the gswitch binary (default bin/gswitch)
#   OVN_GOLDEN   where nb.db and sb.db are (default tests/golden/ovn)
#
# Steps: the central (NB, SB, northd) from the saved databases, with the
# chassis hv1 and hv2 deleted from the SB (ovn-sbctl chassis-del: their port
# bindings are free again, so the new ovn-controllers must register and
# claim them); the underlay; both chassis as in capture-ovn.sh (VIFs
# P-v1:sw0-p1 and P-v2:sw1-p1 on hv1, P-v3:sw0-p2 and P-v4:sw1-p2 on hv2);
# a wait (up to 90 s) for every VIF's external_ids:ovn-installed and then
# (up to 120 s) for both flow tables to stay the same for 3 s. Then into
# OUTDIR, for CH in hv1 hv2: lib.sh's ovn_dump (CH.{flows,groups,meters,
# tlv-map}.of{15,13}.raw, CH.ports, CH.ct-zones), CH.interfaces
# (ovs-vsctl list interface), CH.monitor (what `ovs-ofctl monitor br-int
# watch:!initial` printed over the following 5 s: flow changes),
# CH.flows.after.raw (dump-flows once more after that), CH.ovn-controller.log
# and CH.vswitchd.log; sb-show (ovn-sbctl show). Exit status 0 once the
# dumps are written, 1 when something did not start or settle (the reason
# on stderr and in OUTDIR/failed).
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?usage: run-controller.sh OUTDIR}
SWITCH=${SWITCH:-gswitch}
OVN_PREFIX=${OVN_PREFIX:-s7p}
OVN_LOG_TAG=run-controller
# shellcheck source=lib.sh
source "$HERE/lib.sh"
GOLD=${OVN_GOLDEN:-$OVN_ROOT/tests/golden/ovn}

fail() {
	ovn_log "$*"
	echo "$*" >"$OUT/failed"
	exit 1
}

mkdir -p "$OUT" || exit 1
trap ovn_cleanup EXIT
trap 'exit 130' INT TERM
ovn_check_tools "$SWITCH" || fail "tools missing"

# copy_logs: each chassis's logs into OUT (also when something failed)
copy_logs() {
	local ch
	for ch in hv1 hv2; do
		ovn_on "$ch" sh -c 'cp "$OVSENV_DIR/ovn-controller.log" "$1/$2.ovn-controller.log"; cp "$OVSENV_DIR/ovs-vswitchd.log" "$1/$2.vswitchd.log"' _ "$OUT" "$ch" 2>/dev/null
	done
}

ovn_central_start "$GOLD/nb.db" "$GOLD/sb.db" || fail "central did not start"
ovn_sbctl chassis-del hv1 -- chassis-del hv2 || fail "chassis-del"
ovn_underlay 1 203.0.113.201 2 203.0.113.202 || fail "underlay"
P=$OVN_PREFIX
ovn_chassis_start 1 203.0.113.201 "$SWITCH" "$P-v1:sw0-p1" "$P-v2:sw1-p1"
ovn_chassis_start 2 203.0.113.202 "$SWITCH" "$P-v3:sw0-p2" "$P-v4:sw1-p2"
ovn_chassis_wait_up hv1 hv2 || fail "chassis did not come up"

# installed CH VIF...: every VIF of CH has external_ids:ovn-installed=true
installed() {
	local ch=$1 v
	shift
	for v in "$@"; do
		[[ $(ovn_on "$ch" ovsenv_vsctl --if-exists get interface "$v" external_ids:ovn-installed 2>/dev/null) == '"true"' ]] || return 1
	done
}
for ((i = 0; i < 450; i++)); do
	installed hv1 "$P-v1" "$P-v2" && installed hv2 "$P-v3" "$P-v4" && break
	sleep 0.2
done
installed hv1 "$P-v1" "$P-v2" && installed hv2 "$P-v3" "$P-v4" || {
	copy_logs
	fail "VIFs not ovn-installed after 90 s"
}
ovn_flows_settle hv1 hv2 || {
	copy_logs
	fail "flow tables did not settle in 120 s"
}

for ch in hv1 hv2; do
	ovn_on "$ch" ovn_dump "$ch" "$OUT"
	ovn_on "$ch" ovsenv_vsctl list interface >"$OUT/$ch.interfaces" 2>&1
done
# stability: no flow change over 5 s (a flow monitor on each br-int)
mon=()
for ch in hv1 hv2; do
	ovn_on "$ch" timeout 5 ovs-ofctl monitor br-int 'watch:!initial' >"$OUT/$ch.monitor" 2>&1 &
	mon+=($!)
done
wait "${mon[@]}"
for ch in hv1 hv2; do
	ovn_on "$ch" ovsenv_ofctl -O OpenFlow15 dump-flows br-int --no-stats >"$OUT/$ch.flows.after.raw" 2>&1
done
ovn_sbctl show >"$OUT/sb-show"
copy_logs
exit 0
