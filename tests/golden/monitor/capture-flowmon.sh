#!/usr/bin/env bash
# capture-flowmon.sh - the flow monitor goldens (flowmon.*.txt here): what
# ovs-ofctl monitor br0 watch:... prints for OVS 3.1 while flowmon-steps.sh
# changes the flows (as root):
#
#   tests/golden/monitor/capture-flowmon.sh [NAME...]
#
# A private OVS from tests/ovsref/ovs-env.sh (namespace PFX-ref (PFX: $FLOWMON_PREFIX,
# default s6m), ports PFX-p1=1 PFX-p2=2, protocols OpenFlow10,13,14,15, fail-mode secure);
# outputs normalized as monitor (tests/ovsref/normalize).
set -eu -o pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
pfx=${FLOWMON_PREFIX:-s6m}
tmp=$(mktemp -d "/tmp/$pfx-flowmon.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$top" && go build -o "$tmp/normalize" ./tests/ovsref/normalize)
"$top/tests/ovsref/ovs-env.sh" -n "$pfx-ref" -p "$pfx-p1=1" -p "$pfx-p2=2" \
	-P OpenFlow10,OpenFlow13,OpenFlow14,OpenFlow15 -s -- bash "$here/flowmon-steps.sh" "$tmp" "$@"
for f in "$tmp"/*.raw; do
	name=$(basename "$f" .raw)
	"$tmp/normalize" monitor <"$f" >"$here/flowmon.$name.txt"
	args=$(sed -n "s/^\t\"$name|\(.*\)\"\$/\1/p" "$here/flowmon-steps.sh")
	{
		printf '# setup: private OVS 3.1 (tests/ovsref/ovs-env.sh), ports %s-p1=1 %s-p2=2, protocols OpenFlow10,13,14,15, fail-mode secure; the monitor runs while tests/golden/monitor/flowmon-steps.sh adds, modifies (changed, unchanged), replaces, deletes flows, one expires (hard_timeout=1) and a last flow is added; captured by tests/golden/monitor/capture-flowmon.sh; its "terminating with signal" line dropped\n' "$pfx" "$pfx"
		printf '# normalize: monitor\n'
		printf '# exit status: (stopped)\n'
		printf 'ovs-ofctl %s\n' "$args"
	} >"$here/flowmon.$name.cmd"
done
