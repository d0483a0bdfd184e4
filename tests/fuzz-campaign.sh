#!/bin/bash
# Runs every fuzz target of the repository (each `func FuzzX` of a
# *_test.go) for a while, one after the other, and writes a Markdown table:
# executions, new interesting inputs, result. Not part of make test (make
# test replays the seed corpora only); `make fuzz-campaign` runs it.
# Run from anywhere in the repository:
#   tests/fuzz-campaign.sh
# Environment:
#   FUZZTIME  time per target, as go test -fuzztime takes it (default 45s:
#             the 50 targets then take about 45 minutes with the builds)
#   PARALLEL  fuzzing workers per target (default 1: one core)
#   TARGETS   extended regexp on "PKG FuzzX" (PKG as ./ct/alg) choosing the
#             targets (default: all)
#   OUT       the table's file (default OUTDIR/summary.md)
#   OUTDIR    where each target's log goes (default a new temporary directory)
# A target that fails (a crasher, or a build error) makes the script exit 1
# after the others ran. Go 1.26's coordinator sometimes reports its own
# -fuzztime deadline as a failure ("context deadline exceeded", no failing
# input: golang/go#75804, fixed in Go 1.27); that is listed, not failed. Go writes a crasher to PKG/testdata/fuzz/FuzzX/ID,
# where it stays: from then on plain `go test` replays it as a seed; the
# table names the file. Go keeps what it found interesting in its cache
# ($(go env GOCACHE)/fuzz), so a second campaign starts from the first's
# corpus; the "cached before" column says how big it was.
set -uo pipefail
top=$(git rev-parse --show-toplevel) || exit 2
cd "$top" || exit 2
fuzztime=${FUZZTIME:-45s}
parallel=${PARALLEL:-1}
filter=${TARGETS:-.}
outdir=${OUTDIR:-$(mktemp -d /tmp/fuzz-campaign.XXXXXX)}
mkdir -p "$outdir"
out=${OUT:-$outdir/summary.md}
cache=$(go env GOCACHE)/fuzz/$(go list -m)
# One compile job at a time too: the campaign stays on one core.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-p=1"

# The targets, "./pkg FuzzX" per line, in a stable order.
targets=$(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . |
	sed -E 's|^(.*)/[^/]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*|\1 \2|' |
	sort -u | grep -E -- "$filter")
if [ -z "$targets" ]; then
	echo "no fuzz target matches $filter" >&2
	exit 2
fi
n=$(printf '%s\n' "$targets" | wc -l)
rev=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain --untracked-files=no | head -1)
{
	echo "# Fuzz campaign"
	echo
	echo "- started: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev${dirty:+ (work tree modified)}"
	echo "- machine: $(nproc) cores, $(uname -sr), $(go version | cut -d' ' -f3)"
	echo "- each target: \`go test -run '^\$' -fuzz '^FuzzX\$' -fuzztime $fuzztime -parallel $parallel ./PKG\` (GOFLAGS=$GOFLAGS)"
	echo "- load average (1 min) before / after each target is /proc/loadavg's first field"
	echo
	echo "| package | target | fuzzed for | executions | execs/s | new interesting | cached before | load before/after | result |"
	echo "|---|---|---|---|---|---|---|---|---|"
} >"$out"

failed=0
races=0
total=0
i=0
while read -r pkg fn; do
	i=$((i + 1))
	rel=${pkg#./}
	log=$outdir/${rel//\//_}.$fn.log
	before=$(find "$cache/$rel/$fn" -type f 2>/dev/null | wc -l)
	load0=$(cut -d' ' -f1 /proc/loadavg)
	echo "[$i/$n] $pkg $fn" >&2
	go test -count=1 -run '^$' -fuzz "^$fn\$" -fuzztime "$fuzztime" -parallel "$parallel" \
		-timeout 30m "$pkg" >"$log" 2>&1
	rc=$?
	load1=$(cut -d' ' -f1 /proc/loadavg)
	# The last progress line carries the totals:
	# fuzz: elapsed: 45s, execs: 1234567 (27000/sec), new interesting: 3 (total: 40)
	last=$(grep -E '^fuzz: elapsed: [0-9]+s, execs: ' "$log" | tail -1)
	elapsed=$(sed -nE 's/^fuzz: elapsed: ([0-9]+)s.*/\1/p' <<<"$last")
	execs=$(sed -nE 's/.*execs: ([0-9]+) .*/\1/p' <<<"$last")
	newi=$(sed -nE 's/.*new interesting: ([0-9]+) .*/\1/p' <<<"$last")
	rate=-
	if [ -n "$execs" ] && [ -n "$elapsed" ] && [ "$elapsed" -gt 0 ]; then
		rate=$((execs / elapsed))
		total=$((total + execs))
	fi
	crasher=$(sed -nE 's/^[[:space:]]*Failing input written to (.*)$/\1/p' "$log" | head -1)
	if [ "$rc" -eq 0 ]; then
		result=ok
	elif [ -z "$crasher" ] && tail -5 "$log" | grep -q '^    context deadline exceeded$'; then
		# Go's coordinator reports its own -fuzztime deadline as a
		# failure when a worker is still busy (golang/go#75804, fixed in
		# Go 1.27): no input failed.
		result="ok (go#75804: the fuzztime deadline reported as a failure, no failing input)"
		races=$((races + 1))
	else
		failed=$((failed + 1))
		if [ -n "$crasher" ]; then
			result="**CRASH**: ${pkg#./}/$crasher"
		else
			result="**FAIL** (exit $rc, no crasher written: see the log)"
		fi
	fi
	printf '| %s | %s | %ss | %s | %s | %s | %s | %s / %s | %s |\n' "${pkg#./}" "$fn" "${elapsed:--}" \
		"${execs:--}" "$rate" "${newi:--}" "$before" "$load0" "$load1" "$result" >>"$out"
	echo "    $result, ${execs:-no} executions" >&2
done <<<"$targets"

{
	echo
	echo "$n targets, $total executions in all, $failed failed ($races reported only Go's deadline race); finished $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "Logs: one per target in the campaign's OUTDIR."
} >>"$out"
cat "$out"
echo "table: $out, logs: $outdir" >&2
[ "$failed" -eq 0 ]
