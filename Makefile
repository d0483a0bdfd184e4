# gswitch — see README.md. Targets for a fresh Debian machine, as root:
#   make demo   build, then run the talk's stateful firewall in network namespaces
#               (DEMO=nat or DEMO=ftp: the other examples/; make demo-db: as ovs-vswitchd)
#   make test   install test dependencies, then unit (with -race), fuzz-seed and namespace tests
#   make test-ovs  the longest live comparisons with OVS 3.1 (not in test; .ci/run runs both)
#   make test-ovn  the end-to-end OVN test: real OVN 23.03 drives OVS, then gswitch, on two chassis (not in test; .ci/run runs it)
#   make conformance  os-ken's OpenFlow 1.3 Switch Test Tool against gswitch (~12 min quiet, ~25 loaded; not in test)
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/gswitch

# Debian packages the tests and the demo use (real OVS is the reference and
# ovs-ofctl/ovs-appctl are the clients; the rest are traffic tools).
DEB_PKGS := openvswitch-common openvswitch-switch iproute2 iputils-ping prometheus \
	netcat-openbsd python3 python3-os-ken tcpdump iperf3 ethtool nftables \
	curl lftp python3-pyftpdlib tftpd-hpa tftp-hpa tshark nfdump jq ovn-central ovn-host conntrack

.PHONY: all build deps test test-ovs test-ovn unit privileged demo demo-db bench bench-restart bench-tunnel bench-netns clean fuzz-seeds fuzz-campaign conformance install uninstall

all: build

build:
	@mkdir -p bin
	$(GO) build -o $(BIN) ./cmd/gswitch

deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
	@# Debian starts ovs, ovn, tftpd and nfcapd services on install; tests run their own private copies.
	-@systemctl stop openvswitch-switch tftpd-hpa nfdump ovn-central ovn-host >/dev/null 2>&1 || true
	$(GO) mod download

unit: build
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# The longest differential tests: each runs a private OVS 3.1 beside gswitch
# on the same script and compares what both print. They run in make test-ovs
# (which .ci/run calls after make test), not in make test.
OVS_TESTS := ^TestPrivileged(VswitchdGoldens|FlowMonitorVsOVS|UnderlayGoldens|CaptureReproduces|GfrOVSGoldens|BadInputVsOVS|PauseVsOVS|FlowTablesGoldens|TunnelTwoChassis|TunnelEdgeGoldens)$$

privileged: build
	GSWITCH_PRIV=1 GSWITCH_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -p 1 -timeout 30m -run 'Privileged' -skip '$(OVS_TESTS)|^TestPrivilegedOVNEndToEnd$$' ./...

# The end-to-end OVN test (tests/ovn/e2e.sh, tests/ovn_e2e_test.go): OVN 23.03
# with ovs-vswitchd 3.1 as the reference, then with gswitch; .ci/run runs it
# after make test.
test-ovn: deps build
	GSWITCH_PRIV=1 GSWITCH_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -p 1 -timeout 30m -run 'TestPrivilegedOVNEndToEnd' ./tests/

test: deps unit privileged

# make test-ovs: the differential tests of OVS_TESTS (about 10 minutes).
test-ovs: deps build
	GSWITCH_PRIV=1 GSWITCH_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -p 1 -timeout 30m -run '$(OVS_TESTS)' ./...

# os-ken's OpenFlow Switch Test Tool (991 OpenFlow 1.3 cases) with gswitch as
# the target and a private OVS 3.1 as the tester; fails on any gswitch failure
# not in tests/osken/known-failures.txt and on any listed case that passes.
# Writes tests/osken/results-gswitch.txt and summary.txt (see tests/osken/conformance.sh).
conformance: deps build
	GSWITCH_BIN=$(CURDIR)/$(BIN) bash tests/osken/conformance.sh all

# make demo [DEMO=firewall|nat|ftp]: one of examples/ with gswitch configured
# by flags.
DEMO ?= firewall
demo: deps build
	bash examples/$(DEMO)/demo.sh $(CURDIR)/$(BIN)

# make demo-db [DEMO=...]: the same demo with gswitch as ovs-vswitchd
# (scripts/gswitch-ctl starts ovsdb-server and gswitch; br0 is made with
# ovs-vsctl).
demo-db: deps build
	MODE=db bash examples/$(DEMO)/demo.sh $(CURDIR)/$(BIN)

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./packet/ ./ct/... ./pipeline/ ./nxm/ ./ofproto/

# Every fuzz target over its seed corpus (testdata/fuzz and f.Add), as unit
# already does among the other tests.
fuzz-seeds:
	$(GO) test -count=1 -run '^Fuzz' ./...

# make fuzz-campaign [FUZZTIME=45s] [PARALLEL=1] [TARGETS=regexp]: each fuzz
# target fuzzed in turn (not in make test); a Markdown table of executions,
# new inputs and crashers; fails when a target does (tests/fuzz-campaign.sh,
# docs/FUZZING.md).
fuzz-campaign:
	FUZZTIME=$(or $(FUZZTIME),45s) PARALLEL=$(or $(PARALLEL),1) TARGETS='$(or $(TARGETS),.)' tests/fuzz-campaign.sh

# README's restart figure (root, under a minute): RESTART_CONNS established
# TCP connections through the firewall kept across a restart; the log gives
# the downtime and the save, restore and file figures.
bench-restart: build
	GSWITCH_RESTART_CONNS=$(or $(RESTART_CONNS),10000) GSWITCH_PRIV=1 GSWITCH_BIN=$(CURDIR)/$(BIN) \
		$(GO) test -count=1 -p 1 -v -timeout 20m -run '^TestPrivilegedRestartKeepsState$$' ./tests/

# Two chassis joined by Geneve, gswitch vs OVS 3.1 userspace (root; needs
# iperf3, jq, openvswitch-switch and the netns bench's gsbload: see the
# script's header). ROUNDS interleaved rounds; docs/bench/RESULTS.md.
bench-tunnel: build
	tests/bench-tunnel.sh $(or $(ROUNDS),3)

# The whole-switch measurement: gswitch-ct against OVS 3.1 userspace (TSO) and the kernel,
# the L2 adapter against the kernel bridge (../shared/bench/netns-bench.sh; ROUNDS
# interleaved rounds; medians and the switch's CPU per Gb/s and per Mpps).
bench-netns: build
	tests/bench-netns.sh $(or $(ROUNDS),3)

# make install [PREFIX=/usr/local] [DESTDIR=...]: gswitch in $(SBINDIR), its
# ovs-ctl (scripts/gswitch-ctl) in $(PKGDATADIR)/scripts, and the systemd unit
# (dist/systemd/gswitch.service, paths filled in) in $(SYSTEMDDIR).
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
PKGDATADIR ?= $(PREFIX)/share/gswitch
SYSTEMDDIR ?= /etc/systemd/system

install: build
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PKGDATADIR)/scripts $(DESTDIR)$(SYSTEMDDIR)
	install -m 755 $(BIN) $(DESTDIR)$(SBINDIR)/gswitch
	install -m 755 scripts/gswitch-ctl $(DESTDIR)$(PKGDATADIR)/scripts/gswitch-ctl
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@PKGDATADIR@|$(PKGDATADIR)|g' \
		dist/systemd/gswitch.service >$(DESTDIR)$(SYSTEMDDIR)/gswitch.service
	chmod 644 $(DESTDIR)$(SYSTEMDDIR)/gswitch.service

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/gswitch $(DESTDIR)$(PKGDATADIR)/scripts/gswitch-ctl \
		$(DESTDIR)$(SYSTEMDDIR)/gswitch.service
	-rmdir $(DESTDIR)$(PKGDATADIR)/scripts $(DESTDIR)$(PKGDATADIR) 2>/dev/null

clean:
	rm -rf bin
