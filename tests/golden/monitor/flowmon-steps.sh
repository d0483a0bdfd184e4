#!/usr/bin/env bash
# flowmon-steps.sh OUTDIR [NAME...] - what `ovs-ofctl monitor br0 watch:...`
# prints while another ovs-ofctl adds, modifies and deletes flows (and one
# expires), then adds a last flow (tp_dst=7009) that every variant shows, so
# the script knows the monitor has printed the rest. Each step waits for
# what it needs (the monitor's first reply, the flow's expiry in dump-flows,
# that last flow), up to 30 s, not for a fixed time: fixed sleeps failed on
# a loaded machine. Runs against whatever switch `ovs-ofctl ... br0` reaches
# (OVS_RUNDIR): capture-flowmon.sh runs it in a private OVS 3.1 to make the
# goldens (flowmon.NAME.txt), TestPrivilegedFlowMonitorVsOVS in gswitch's
# namespace. Writes OUTDIR/NAME.raw per variant: the monitor's output minus
# its "terminating with signal" line. The bridge must allow OpenFlow10, 13,
# 14 and 15 and have ports 1 and 2 (plain ovs-ofctl speaks 1.0 with
# Nicira's NXST_FLOW_MONITOR, -O OpenFlow13 ONF's ONFST_FLOW_MONITOR).
set -u
out=$1
shift
variants=(
	"of15-watch|-O OpenFlow15 monitor br0 watch:"
	"of15-watch-noinitial|-O OpenFlow15 monitor br0 watch:!initial"
	"of15-watch-noown|-O OpenFlow15 monitor br0 watch:!own"
	"of15-watch-noactions|-O OpenFlow15 monitor br0 watch:!actions"
	"of15-watch-outport2|-O OpenFlow15 monitor br0 watch:out_port=2"
	"of15-watch-table0-udp|-O OpenFlow15 monitor br0 watch:table=0,udp"
	"of15-watch-nodelete|-O OpenFlow15 monitor br0 watch:!delete,!modify"
	"of14-watch|-O OpenFlow14 monitor br0 watch:"
	"of10-watch|monitor br0 watch:"
	"of10-watch-noinitial|monitor br0 watch:!initial"
	"of10-watch-noown|monitor br0 watch:!own"
	"of10-watch-noactions|monitor br0 watch:!actions"
	"of10-watch-outport2|monitor br0 watch:out_port=2"
	"of10-watch-table0-udp|monitor br0 watch:table=0,udp"
	"of10-watch-nodelete|monitor br0 watch:!delete,!modify"
	"of13-watch|-O OpenFlow13 monitor br0 watch:"
	"of13-watch-noinitial|-O OpenFlow13 monitor br0 watch:!initial"
	"of13-watch-noown|-O OpenFlow13 monitor br0 watch:!own"
	"of13-watch-noactions|-O OpenFlow13 monitor br0 watch:!actions"
	"of13-watch-outport2|-O OpenFlow13 monitor br0 watch:out_port=2"
	"of13-watch-table0-udp|-O OpenFlow13 monitor br0 watch:table=0,udp"
	"of13-watch-nodelete|-O OpenFlow13 monitor br0 watch:!delete,!modify"
)
of() { ovs-ofctl -O OpenFlow13 "$@" || echo "FAILED: ovs-ofctl $*" >&2; }
# wait_for WHAT CMD...: runs CMD every 0.1 s until it succeeds (30 s at most).
wait_for() {
	local what=$1 end=$((SECONDS + 30))
	shift
	until "$@"; do
		if ((SECONDS >= end)); then
			echo "timed out waiting for $what" >&2
			return 1
		fi
		sleep 0.1
	done
}
# expired: the hard_timeout=1 flow is gone from table 2.
expired() {
	local d
	d=$(ovs-ofctl -O OpenFlow13 dump-flows br0 table=2) && [[ $d != *tcp* ]]
}
for v in "${variants[@]}"; do
	name=${v%%|*}
	if (($#)) && [[ " $* " != *" $name "* ]]; then
		continue
	fi
	of del-flows br0
	of add-flow br0 "table=0,priority=10,udp,tp_dst=7001,actions=output:1"
	of add-flow br0 "table=1,priority=5,ip,actions=output:2"
	# shellcheck disable=SC2086
	timeout 30 ovs-ofctl ${v#*|} >"$out/$name.full" 2>&1 &
	pid=$!
	wait_for "the monitor's first reply" grep -qs reply "$out/$name.full"
	of add-flow br0 "table=0,priority=20,udp,tp_dst=7002,actions=output:2"
	sleep 0.3
	of mod-flows br0 "table=0,udp,tp_dst=7001,actions=output:2"
	sleep 0.3
	of mod-flows br0 "table=0,udp,tp_dst=7001,actions=output:2"
	sleep 0.3
	of add-flow br0 "table=0,priority=20,cookie=0x5,udp,tp_dst=7002,actions=output:1"
	sleep 0.3
	of mod-flows br0 "table=1,ip,actions=output:1"
	sleep 0.3
	of del-flows br0 "table=0,udp,tp_dst=7001"
	sleep 0.3
	of add-flow br0 "table=2,priority=30,hard_timeout=1,tcp,actions=drop"
	wait_for "the hard_timeout=1 flow to expire" expired
	of del-flows br0
	sleep 0.3
	of add-flow br0 "table=0,priority=1,udp,tp_dst=7009,actions=output:2"
	wait_for "the monitor to print the last flow" grep -qs tp_dst=7009 "$out/$name.full"
	kill "$pid"
	wait "$pid" 2>/dev/null
	grep -Ev 'fatal_signal|WARN|terminating with signal' "$out/$name.full" >"$out/$name.raw"
	rm -f "$out/$name.full"
done
