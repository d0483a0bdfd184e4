#!/bin/bash
# Compares the Go benchmarks of two revisions on the same machine, the two
# builds interleaved round by round (this VM's speed drifts over minutes, so
# "all of A, then all of B" measures the drift). Run from the repository root:
#   tests/bench-revs.sh BASE [NEW] [ROUNDS]     (NEW default: the work tree; ROUNDS default 6)
# BENCHES: lines "PKG REGEXP BENCHTIME" (default: the hot-path set below).
# Prints benchstat's comparison when benchstat is on PATH (go install
# golang.org/x/perf/cmd/benchstat@latest), else the raw lines; both raw
# files are kept in OUT (default a temporary directory, printed).
set -euo pipefail
base=${1:?usage: $0 BASE [NEW] [ROUNDS]}
new=${2:-}
rounds=${3:-6}
default_benches='packet Parse|ChecksumUpdate 1s
ct Execute$|RelatedEstablished 1s
ct/nat Select|Apply 1s
pipeline Pipeline|Lookup 1s
ports Segment 1s
nxm DecodeFlowMod|EncodeFlowMod 1s
ofproto FlowModApply|DumpFlows|PacketIn 1s'
benches=${BENCHES:-$default_benches}
out=${OUT:-$(mktemp -d)}
top=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
cleanup() {
	git -C "$top" worktree remove --force "$tmp/base" >/dev/null 2>&1 || true
	[ -z "$new" ] || git -C "$top" worktree remove --force "$tmp/new" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# build REV_DIR LABEL: one test binary per package.
build() {
	local dir=$1 label=$2 pkg
	while read -r pkg _; do
		[ -n "$pkg" ] || continue
		(cd "$dir" && go test -c -o "$tmp/$label.${pkg//\//_}.test" "./$pkg")
	done <<<"$benches"
}
git -C "$top" worktree add --detach "$tmp/base" "$base" >/dev/null
build "$tmp/base" base
if [ -n "$new" ]; then
	git -C "$top" worktree add --detach "$tmp/new" "$new" >/dev/null
	build "$tmp/new" new
else
	build "$top" new
fi

: >"$out/base.txt"
: >"$out/new.txt"
for r in $(seq "$rounds"); do
	while read -r pkg re bt; do
		[ -n "$pkg" ] || continue
		for label in base new; do
			# Run in that revision's package directory so testdata is found.
			dir=$tmp/base
			[ "$label" = base ] || dir=${new:+$tmp/new}
			dir=${dir:-$top}
			(cd "$dir/$pkg" && "$tmp/$label.${pkg//\//_}.test" -test.run '^$' \
				-test.bench "$re" -test.benchtime "$bt" -test.benchmem) |
				grep -E '^(Benchmark|goos|goarch|pkg|cpu)' >>"$out/$label.txt" || true
		done
	done <<<"$benches"
	echo "round $r of $rounds done" >&2
done
echo "raw results: $out/base.txt $out/new.txt" >&2
if command -v benchstat >/dev/null 2>&1; then
	benchstat "$out/base.txt" "$out/new.txt"
else
	cat "$out/base.txt" "$out/new.txt"
fi
