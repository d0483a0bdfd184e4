package ct

import (
	"strings"
	"testing"
	"time"

	"gswitch/packet"
)

// TestDPCtlBuckets replays ct/testdata/capture-ovs31-bkts.sh: dpctl/ct-bkts
// before and after three UDP connections are committed (gt=N shown or
// not, a gt= that does not scan), and OVS 3.1's "datapath not found" for
// names of datapaths that do not exist (only netdev@ovs-netdev does), each
// answer as OVS's.
func TestDPCtlBuckets(t *testing.T) {
	var now int64 = 1000 * int64(time.Second)
	tr := New(Config{Clock: func() int64 { return now }})
	run := func(golden, cmdline string) {
		t.Helper()
		f := strings.Fields(cmdline)
		want, wantErr, failed := readGolden(t, golden)
		got, err := tr.DPCtl(f[0], f[1:])
		switch {
		case failed && err == nil:
			t.Errorf("%s: %q, want error %q", golden, got, wantErr)
		case failed && err.Error() != wantErr:
			t.Errorf("%s: error %q, want %q", golden, err.Error(), wantErr)
		case !failed && err != nil:
			t.Errorf("%s: %v", golden, err)
		case !failed && got != want:
			t.Errorf("%s:\n%s\nwant:\n%s", golden, got, want)
		}
	}
	run("bkts-empty", "ct-bkts")
	for _, sp := range []uint16{40000, 40001, 40002} {
		now += int64(time.Millisecond)
		tr.Execute([]*packet.Packet{udpFrame("198.51.100.1", "198.51.100.2", sp, 5353, 1)}, nil, &Params{Commit: true}, now)
	}
	for _, c := range [][2]string{
		{"bkts-nconns", "ct-get-nconns"},
		{"bkts", "ct-bkts"},
		{"bkts-gt2", "ct-bkts gt=2"},
		{"bkts-gt3", "ct-bkts gt=3"},
		{"bkts-gtbad", "ct-bkts gt=abc"},
		{"bkts-dp", "ct-bkts netdev@ovs-netdev gt=1"},
		{"bkts-dp-only", "ct-bkts netdev@ovs-netdev"},
		{"bkts-nosuch", "ct-bkts nosuch@dp"},
		{"bkts-extra", "ct-bkts a b"},
		{"nconns-nosuch", "ct-get-nconns netdev@nosuch"},
		{"nconns-plain-name", "ct-get-nconns ovs-netdev"},
		{"nconns-system", "ct-get-nconns system@ovs-system"},
		{"maxconns-nosuch", "ct-set-maxconns nosuch@dp 10"},
		{"dump-nosuch-zone", "dump-conntrack nosuch@dp zone=0"},
		{"stats-nosuch", "ct-stats-show nosuch@dp"},
		{"limits-nosuch", "ct-get-limits nosuch@dp zone=0"},
		{"ipf-nosuch", "ipf-get-status nosuch@dp"},
	} {
		run(c[0], c[1])
	}
}
