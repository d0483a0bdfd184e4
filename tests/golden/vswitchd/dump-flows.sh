#!/usr/bin/env bash
# dump-flows.sh - capture OVS 3.1's `ovs-appctl bridge/dump-flows br0`
# (plain, with --offload-stats, and with an unknown option, which OVS
# ignores) for a standalone bridge (its priority=0 NORMAL flow) with the
# flows of dump-flows.flows added, into dump-flows.txt (the command is in
# dump-flows.cmd), for cmd/gswitch's TestBridgeDumpFlows (which builds the
# same flows).
#
# Usage (as root): tests/golden/vswitchd/dump-flows.sh
# Environment: CAPTURE_NS=NAME is the namespace (default s5b-ref).
set -eu -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
"$ROOT/tests/ovsref/ovs-env.sh" -n "${CAPTURE_NS:-s5b-ref}" -- sh -c \
	"ovs-ofctl add-flows br0 '$HERE/dump-flows.flows' &&
	 echo '=== bridge/dump-flows br0' && ovs-appctl bridge/dump-flows br0 &&
	 echo '=== bridge/dump-flows --offload-stats br0' && ovs-appctl bridge/dump-flows --offload-stats br0 &&
	 echo '=== bridge/dump-flows --bogus br0' && ovs-appctl bridge/dump-flows --bogus br0" \
	>"$HERE/dump-flows.txt.new"
mv "$HERE/dump-flows.txt.new" "$HERE/dump-flows.txt"
