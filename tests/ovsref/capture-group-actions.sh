#!/usr/bin/env bash
# capture-group-actions.sh - record Open vSwitch 3.1's verdict on every group
# of tests/golden/group-actions/cases.tsv: a private OVS (tests/ovsref/ovs-env.sh,
# bridge br0, netdev datapath, OpenFlow10+13, fail-mode secure, no ports) gets
# each case in order with
#     ovs-ofctl -O OpenFlow13 add-group br0 SPEC
# and verdicts.tsv gets one row a case: NAME <TAB> exit status <TAB> verdict,
# where the verdict is "ok", the OpenFlow error OVS answered (OFPT_ERROR's
# name as ovs-ofctl prints it, e.g. OFPBAC_MATCH_INCONSISTENT), or
# "ovs-ofctl: MESSAGE" when ovs-ofctl itself refused the text (nothing sent).
# dump-groups.txt is then `ovs-ofctl -O OpenFlow13 dump-groups br0` through
# tests/ovsref/normalize flows, all lines sorted (LC_ALL=C).
# ofp-print.txt is `ovs-ofctl -O OpenFlow13 parse-group SPEC` of every case
# (the message ovs-ofctl encodes, decoded again by OVS's printer; for a
# message OVS's decoder refuses, its hex dump), through normalize flows.
# select-hash.tsv: for each line of weights.list, a select group with those
# bucket weights, and how OVS spreads its dp_hash values over the buckets (its
# default selection method; "default" when it falls back to the per-bucket
# score): from OVS's debug log. pipeline's TestSelectHashTableOVS compares.
# ofproto's TestOfctlGroupActionsGolden replays the cases into gswitch with the
# same ovs-ofctl and compares.
#
# Section of15 (tests/ovsref/capture-group-actions.sh of15, alone): the
# OpenFlow 1.5 group-mods of cases15.tsv (NAME, ovs-ofctl version, command
# such as add-group / insert-buckets / remove-buckets / mod-group, SPEC),
# applied in order to a bridge with protocols OpenFlow10,13,15:
# verdicts15.tsv as verdicts.tsv, then dump-groups15.txt,
# dump-groups15-of13.txt and dump-groups15-of10.txt (ovs-ofctl -O
# OpenFlow15 / OpenFlow13 / OpenFlow10 dump-groups, normalize flows, sorted).
# ofproto's TestOfctlGroups15Golden replays them into gswitch.
#
# Usage (as root): tests/ovsref/capture-group-actions.sh [of15]
# Environment: GOLDEN_OUT=DIR writes DIR/group-actions/ instead of
# tests/golden/group-actions/; CAPTURE_NS=NAME is the namespace (default
# ggo-sw; created and deleted again by ovs-env.sh).
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CASES=$ROOT/tests/golden/group-actions/cases.tsv
GOLD=${GOLDEN_OUT:-$ROOT/tests/golden}/group-actions
# shellcheck source=ovs-env.sh
source "$HERE/ovs-env.sh"
trap ovsenv_stop EXIT

mkdir -p "$GOLD"
if [ "${1:-}" = of15 ]; then
	ovsenv_start -n "${CAPTURE_NS:-ggo-sw}" -s -P OpenFlow10,OpenFlow13,OpenFlow15 || exit 1
	tmpd=$(mktemp -d /tmp/ggo-capture-groups15.XXXXXX)
	trap 'ovsenv_stop; rm -rf "$tmpd"' EXIT
	go build -C "$ROOT" -o "$tmpd/normalize" ./tests/ovsref/normalize || exit 1
	printf 'name\texit\tverdict\n' >"$tmpd/verdicts"
	while IFS=$'\t' read -r name ver cmd spec; do
		case $name in '' | '#'*) continue ;; esac
		out=$(ovsenv_ofctl -O "$ver" "$cmd" br0 "$spec" 2>&1)
		rc=$?
		if ((rc == 0)); then
			v=ok
		elif grep -q OFPT_ERROR <<<"$out"; then
			v=$(grep -m1 OFPT_ERROR <<<"$out" | sed 's/.*): //')
		else
			v=$(head -n1 <<<"$out")
		fi
		printf '%s\t%s\t%s\n' "$name" "$rc" "$v" >>"$tmpd/verdicts"
	done <"$ROOT/tests/golden/group-actions/cases15.tsv"
	cp "$tmpd/verdicts" "$GOLD/verdicts15.tsv"
	ovsenv_ofctl -O OpenFlow15 dump-groups br0 2>&1 | "$tmpd/normalize" flows | LC_ALL=C sort >"$GOLD/dump-groups15.txt"
	ovsenv_ofctl -O OpenFlow13 dump-groups br0 2>&1 | "$tmpd/normalize" flows | LC_ALL=C sort >"$GOLD/dump-groups15-of13.txt"
	ovsenv_ofctl -O OpenFlow10 dump-groups br0 2>&1 | "$tmpd/normalize" flows | LC_ALL=C sort >"$GOLD/dump-groups15-of10.txt"
	ver=$(ovs-vswitchd --version | head -n1)
	setup="private OVS ($ver), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13,OpenFlow15 fail-mode=secure, no ports; every case of tests/golden/group-actions/cases15.tsv in order: ovs-ofctl -O VERSION COMMAND br0 SPEC (verdicts15.tsv)"
	for v in 15:OpenFlow15 15-of13:OpenFlow13 15-of10:OpenFlow10; do
		printf '# setup: %s\n# normalize: flows\n# exit status: 0\novs-ofctl -O %s dump-groups br0 2>&1 | normalize flows | LC_ALL=C sort\n' "$setup" "${v#*:}" >"$GOLD/dump-groups${v%%:*}.cmd"
	done
	printf '# %s\n# %s\n# tests/ovsref/capture-group-actions.sh of15\n' "$setup" "verdict: ok, the OFPT_ERROR name, or ovs-ofctl's own message (nothing sent)" >"$GOLD/verdicts15.cmd"
	exit 0
fi
ovsenv_start -n "${CAPTURE_NS:-ggo-sw}" -s || exit 1

tmpd=$(mktemp -d /tmp/ggo-capture-groups.XXXXXX)
trap 'ovsenv_stop; rm -rf "$tmpd"' EXIT
verdicts=$tmpd/verdicts prints=$tmpd/prints
go build -C "$ROOT" -o "$tmpd/normalize" ./tests/ovsref/normalize || exit 1
printf 'name\texit\tverdict\n' >"$verdicts"
while IFS=$'\t' read -r name spec; do
	case $name in '' | '#'*) continue ;; esac
	out=$(ovsenv_ofctl -O OpenFlow13 add-group br0 "$spec" 2>&1)
	rc=$?
	if ((rc == 0)); then
		v=ok
	elif grep -q OFPT_ERROR <<<"$out"; then
		# "OFPT_ERROR (OF1.3) (xid=0x2): OFPBAC_MATCH_INCONSISTENT"
		v=$(grep -m1 OFPT_ERROR <<<"$out" | sed 's/.*): //')
	else
		v=$(head -n1 <<<"$out")
	fi
	printf '%s\t%s\t%s\n' "$name" "$rc" "$v" >>"$verdicts"
	{
		printf '## %s\n' "$name"
		ovs-ofctl -O OpenFlow13 parse-group "$spec" 2>&1
	} >>"$prints"
done <"$CASES"

cp "$verdicts" "$GOLD/verdicts.tsv"
"$tmpd/normalize" flows <"$prints" >"$GOLD/ofp-print.txt"
ovsenv_ofctl -O OpenFlow13 dump-groups br0 2>&1 | "$tmpd/normalize" flows | LC_ALL=C sort >"$GOLD/dump-groups.txt"
# Select groups with the weights of weights.list (group ids 1000 up): OVS
# logs how it spreads its dp_hash values over the buckets (Webster's method,
# ofproto-dpif.c group_setup_dp_hash_table) at debug level.
ovsenv_appctl vlog/set ofproto_dpif:file:dbg >/dev/null || exit 1
log=$OVSENV_DIR/ovs-vswitchd.log
printf 'weights\tmethod\tn_hash\thits\n' >"$tmpd/hash"
id=1000
while read -r line; do
	case $line in '' | '#'*) continue ;; esac
	spec="group_id=$id,type=select" i=1
	for w in $line; do
		spec+=",bucket=weight:$w,actions=output:$i"
		i=$((i + 1))
	done
	from=$(wc -l <"$log")
	ovsenv_ofctl -O OpenFlow13 add-group br0 "$spec" || exit 1
	sleep 0.2
	tail -n +"$((from + 1))" "$log" | grep 'ofproto_dpif|DBG|' >"$tmpd/dbg"
	if grep -q 'Use dp_hash with' "$tmpd/dbg"; then
		method=dp_hash
		n=$(sed -n 's/.*Using \([0-9]*\) hash values.*/\1/p' "$tmpd/dbg")
		hits=$(sed -n 's/.*Bucket [0-9]*: weight=.*hits=\([0-9]*\).*/\1/p' "$tmpd/dbg" | paste -sd,)
	elif grep -q 'Falling back to default hash method' "$tmpd/dbg"; then
		method=default n=- hits=-
	else
		method=unknown n=- hits=-
	fi
	printf '%s\t%s\t%s\t%s\n' "${line// /,}" "$method" "$n" "$hits" >>"$tmpd/hash"
	id=$((id + 1))
done <"$ROOT/tests/golden/group-actions/weights.list"
cp "$tmpd/hash" "$GOLD/select-hash.tsv"

ver=$(ovs-vswitchd --version | head -n1)
setup="private OVS ($ver), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, no ports; every case of tests/golden/group-actions/cases.tsv in order: ovs-ofctl -O OpenFlow13 add-group br0 SPEC (verdicts.tsv)"
printf '# setup: %s\n# normalize: flows\n# exit status: 0\novs-ofctl -O OpenFlow13 dump-groups br0 2>&1 | normalize flows | LC_ALL=C sort\n' "$setup" >"$GOLD/dump-groups.cmd"
printf '# setup: none (%s)\n# normalize: flows\n# exit status: 0\nfor every case: echo "## NAME"; ovs-ofctl -O OpenFlow13 parse-group SPEC\n' "$ver" >"$GOLD/ofp-print.cmd"
printf '# %s\n# %s\n# tests/ovsref/capture-group-actions.sh\n' "$setup" "verdict: ok, the OFPT_ERROR name, or ovs-ofctl's own message (nothing sent)" >"$GOLD/verdicts.cmd"
