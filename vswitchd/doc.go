// Package vswitchd will make gswitch act as ovs-vswitchd: it reads the
// Open_vSwitch database (package ovsdb's snapshots) and reconciles it into
// datapath bridges, writing back the columns ovs-vswitchd writes.
//
// So far it holds the reading half: Desired turns a snapshot into the
// configuration to apply (bridges with their datapath id, hwaddr,
// protocols, fail mode, controllers and interfaces with type, ofport
// request and patch peer), leaving out what ovs-vswitchd leaves out. The
// reference for every rule is tests/golden/vswitchd (OVS 3.1 driven by
// ovs-vsctl; capture.sh there lists what it shows).
//
// Only cmd/gswitch imports this package; it may import ovsdb, datapath and
// the packages below them (tests/deps_test.go).
package vswitchd
