#!/usr/bin/env bash
# capture.sh - the formatter's corpus: every flow line OVS 3.1's ovs-ofctl
# printed in the golden dumps listed below, each with the OpenFlow 1.5
# flow-mod that the same ovs-ofctl encodes from it (`ovs-ofctl -O OpenFlow15
# -mmmmm parse-flows`: dump-flows --no-stats output is add-flows input).
# ofptext's tests decode each flow-mod with nxm and compare the formatter's
# text with OVS's line.
#
# Usage: ofptext/testdata/capture.sh  (writes ofptext/testdata/corpus.txt)
# Format: "# FILE" starts a golden file, then per flow "L LINE" (OVS's line,
# the leading blank dropped) and "H HEX" (the flow-mod).
set -eu -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$HERE/corpus.txt
FILES=(ovn/hv1.flows.of15.txt ovn/hv2.flows.of15.txt)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$OUT.new"
for f in "${FILES[@]}"; do
	printf '# %s\n' "$f" >>"$OUT.new"
	grep -v '^OFPST\|^NXST\|^$' "$ROOT/tests/golden/$f" | sed 's/^ //' |
	while IFS= read -r line; do
		# One flow at a time: a line OVS prints but cannot parse back
		# (set_field:10/0x3f->ip_dscp) is kept as "U LINE".
		printf '%s\n' "$line" >"$tmp/line"
		if ! ovs-ofctl -O OpenFlow15 -mmmmm parse-flows "$tmp/line" >"$tmp/out" 2>/dev/null; then
			printf 'U %s\n' "$line" >>"$OUT.new"
			continue
		fi
		printf 'L %s\nH ' "$line" >>"$OUT.new"
		awk '/^[0-9a-f][0-9a-f]*  / { s = substr($0, 11, 47); gsub(/[- ]/, "", s); printf "%s", s } END { print "" }' "$tmp/out" >>"$OUT.new"
	done
done
mv "$OUT.new" "$OUT"
