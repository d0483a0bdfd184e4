#!/bin/bash
# Builds Open vSwitch's ovstest (test-conntrack's benchmarks) from a source
# tree, with OVS's default flags (-g -O2, no DPDK), as the figures in
# ../shared/bench/ovs-ct-microbench.md were taken (commit d6a632a9).
#   ct/bench/build-ovstest.sh OVS_SRC_DIR [OUT]   (default OUT: ${TMPDIR:-/tmp}/ovstest)
# Needs: apt-get install -y build-essential autoconf automake libtool
#        python3 libssl-dev pkg-config
set -euo pipefail
src=${1:?usage: $0 OVS_SRC_DIR [OUT]}
out=${2:-${TMPDIR:-/tmp}/ovstest}
cd "$src"
[ -x configure ] || ./boot.sh
[ -f Makefile ] || ./configure
# The generated headers (odp-netlink.h, the IDL sources...) are
# BUILT_SOURCES that only a full make builds first: build them explicitly.
mk=$(mktemp)
trap 'rm -f "$mk"' EXIT
printf 'print-bs:\n\t@echo $(BUILT_SOURCES)\n' >"$mk"
# shellcheck disable=SC2046
make -j"$(nproc)" $(make -s -f Makefile -f "$mk" print-bs)
make -j"$(nproc)" tests/ovstest
cp tests/ovstest "$out"
echo "built $out"
