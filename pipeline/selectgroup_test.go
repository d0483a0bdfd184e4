package pipeline

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"gswitch/packet"
	"gswitch/tests/golden"
	"gswitch/tests/testutil"
)

func weightBuckets(ws ...uint16) []Bucket {
	bs := make([]Bucket, len(ws))
	for i, w := range ws {
		bs[i] = Bucket{Weight: w, WatchPort: PortAny, WatchGroup: GroupAny,
			Actions: []Action{Output{Port: uint32(i + 1)}}}
	}
	return bs
}

// TestSelectHashTableOVS: selectSlots deals the hash values to the buckets
// exactly as OVS 3.1 does with no selection_method (the table OVS logs,
// tests/golden/group-actions/select-hash.tsv, captured by
// tests/ovsref/capture-group-actions.sh), and falls back where OVS does.
func TestSelectHashTableOVS(t *testing.T) {
	rows := strings.Split(strings.TrimSpace(golden.Load("group-actions/select-hash.tsv")), "\n")[1:]
	if len(rows) < 10 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, row := range rows {
		f := strings.Split(row, "\t") // weights method n_hash hits
		var ws []uint16
		for _, s := range strings.Split(f[0], ",") {
			w, _ := strconv.Atoi(s)
			ws = append(ws, uint16(w))
		}
		slots := selectSlots(weightBuckets(ws...))
		if f[1] != "dp_hash" {
			if slots != nil {
				t.Errorf("weights %s: %d hash values, OVS falls back to %s", f[0], len(slots), f[1])
			}
			continue
		}
		hits := make([]int, len(ws))
		for _, b := range slots {
			hits[b]++
		}
		got := fmt.Sprintf("%d\t%s", len(slots), strings.Trim(strings.Join(strings.Fields(fmt.Sprint(hits)), ","), "[]"))
		if want := f[2] + "\t" + f[3]; got != want {
			t.Errorf("weights %s: n_hash, hits %q, OVS %q", f[0], got, want)
		}
	}
}

// selectShares sends n TCP flows with random addresses and ports through
// select group 1 (buckets of weights ws, bucket i outputs to port i+1) and
// returns each bucket's share of the flows.
func selectShares(t *testing.T, n int, ws ...uint16) []float64 {
	t.Helper()
	e := newEnv(t, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	e.s.record = false
	if err := e.d.GroupMod(GroupAdd, &GroupSpec{ID: 1, Type: GroupTypeSelect, Buckets: weightBuckets(ws...)}); err != nil {
		t.Fatal(err)
	}
	add(t, e.d, spec(0, 1, Match{}, GroupAction{GroupID: 1}))
	r := rand.New(rand.NewPCG(1, uint64(len(ws))))
	for i := 0; i < n; i += 32 {
		var frames [][]byte
		for j := i; j < min(i+32, n); j++ {
			src := fmt.Sprintf("198.51.100.%d", r.IntN(256))
			dst := fmt.Sprintf("203.0.113.%d", r.IntN(256))
			frames = append(frames, tcp4(src, dst, uint16(r.Uint32()), uint16(r.Uint32())))
		}
		e.send(1, frames...)
	}
	gs := e.d.Groups()[0]
	shares := make([]float64, len(ws))
	var sum uint64
	for i, b := range gs.Buckets {
		shares[i] = float64(b.Packets) / float64(n)
		sum += b.Packets
	}
	if sum != uint64(n) {
		t.Fatalf("%d of %d flows went to a bucket", sum, n)
	}
	return shares
}

// TestSelectGroupShares: over 30,000 random flows each bucket's share is
// within 4 standard deviations of its share of OVS's hash values (dp_hash
// method; those are within one value of w/sum(w)), or, where OVS would
// need more than 256 values, of w/sum(w) exactly. The old highest
// hash x weight gave a weight-1 bucket beside a weight-2 one about 1/4.
func TestSelectGroupShares(t *testing.T) {
	const n = 30000
	for _, ws := range [][]uint16{{1, 2}, {1, 2, 3}, {1, 1, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {1, 100}, {1, 300}, {1, 2, 1000}, {0, 1, 2}} {
		t.Run(fmt.Sprint(ws), func(t *testing.T) {
			shares := selectShares(t, n, ws...)
			slots := selectSlots(weightBuckets(ws...))
			var total float64
			for _, w := range ws {
				total += float64(w)
			}
			for i, w := range ws {
				p := float64(w) / total
				if slots != nil {
					hits := 0
					for _, b := range slots {
						if int(b) == i {
							hits++
						}
					}
					q := float64(hits) / float64(len(slots))
					if math.Abs(q-p) >= 1/float64(len(slots)) {
						// Webster's rounding keeps every bucket within
						// one value of its exact share.
						t.Errorf("bucket %d (weight %d): %d of %d hash values, exact share %.4f", i, w, hits, len(slots), p)
					}
					p = q
				}
				sd := math.Sqrt(p * (1 - p) / n)
				if math.Abs(shares[i]-p) > 4*sd+1e-12 {
					t.Errorf("bucket %d (weight %d): share %.4f, want %.4f ± %.4f", i, w, shares[i], p, 4*sd)
				}
			}
		})
	}
}

// TestSelectGroupSticky: a flow always takes the same bucket, in both
// directions; when a bucket's watch port goes down only that bucket's flows
// move (both with OVS's hash values and with the fallback), and they come
// back when it is up again.
func TestSelectGroupSticky(t *testing.T) {
	for _, ws := range [][]uint16{{1, 2, 3}, {1, 300, 2}} {
		t.Run(fmt.Sprint(ws), func(t *testing.T) {
			e := newEnv(t, 1, 2, 3, 9)
			bs := weightBuckets(ws...)
			for i := range bs {
				bs[i].WatchPort = uint32(i + 1)
			}
			if err := e.d.GroupMod(GroupAdd, &GroupSpec{ID: 1, Type: GroupTypeSelect, Buckets: bs}); err != nil {
				t.Fatal(err)
			}
			add(t, e.d, spec(0, 1, Match{}, GroupAction{GroupID: 1}))
			r := rand.New(rand.NewPCG(7, 7))
			type flow struct {
				src, dst     string
				sport, dport uint16
			}
			flows := make([]flow, 2000)
			for i := range flows {
				flows[i] = flow{fmt.Sprintf("198.51.100.%d", r.IntN(256)), fmt.Sprintf("203.0.113.%d", r.IntN(256)),
					uint16(r.Uint32()), uint16(r.Uint32())}
			}
			route := func(reverse bool) []uint32 {
				out := make([]uint32, len(flows))
				for i, f := range flows {
					e.s.reset()
					if reverse {
						e.send(9, tcp4(f.dst, f.src, f.dport, f.sport))
					} else {
						e.send(9, tcp4(f.src, f.dst, f.sport, f.dport))
					}
					if len(e.s.out) != 1 {
						t.Fatalf("flow %d: %d outputs", i, len(e.s.out))
					}
					out[i] = e.s.out[0].port
				}
				return out
			}
			before := route(false)
			if again, back := route(false), route(true); fmt.Sprint(again) != fmt.Sprint(before) || fmt.Sprint(back) != fmt.Sprint(before) {
				t.Fatal("a flow changed bucket with nothing changed (or by direction)")
			}
			e.d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: false}, {No: 3, Up: true}, {No: 9, Up: true}})
			after := route(false)
			moved := 0
			for i := range flows {
				switch {
				case before[i] == 2 && after[i] == 2:
					t.Fatalf("flow %d still on the dead bucket", i)
				case before[i] != 2 && after[i] != before[i]:
					t.Fatalf("flow %d moved from live bucket %d to %d", i, before[i], after[i])
				case before[i] == 2:
					moved++
				}
			}
			if moved == 0 {
				t.Fatal("no flow was on bucket 2")
			}
			e.d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}, {No: 3, Up: true}, {No: 9, Up: true}})
			if fmt.Sprint(route(false)) != fmt.Sprint(before) {
				t.Fatal("flows did not come back when the bucket came back")
			}
		})
	}
}

// TestSelectGroupAllZeroWeights: with every weight 0, OVS (falling back to
// its score, all 0) takes the last live bucket; so does gswitch.
func TestSelectGroupAllZeroWeights(t *testing.T) {
	shares := selectShares(t, 64, 0, 0, 0)
	if shares[2] != 1 {
		t.Fatalf("shares %v, want all on the last bucket", shares)
	}
}

func TestZeroAllocSelectGroup(t *testing.T) {
	for _, ws := range [][]uint16{{1, 2, 3}, {1, 300}} {
		d := New(Config{Sender: nullSender{}, Tracker: &estTracker{}})
		d.SetPorts([]PortInfo{{No: 1, Up: true}, {No: 2, Up: true}, {No: 3, Up: true}})
		if err := d.GroupMod(GroupAdd, &GroupSpec{ID: 1, Type: GroupTypeSelect, Buckets: weightBuckets(ws...)}); err != nil {
			t.Fatal(err)
		}
		add(t, d, spec(0, 10, ipMatch(packet.FieldInPort, 1), GroupAction{GroupID: 1}))
		frames := batchFrames(32)
		b := mkBatch(1, frames...)
		testutil.SkipAllocsUnderRace(t)
		testutil.RequireNoAllocs(t, fmt.Sprint("Process/select group ", ws), func() { resetBatch(b, frames, 1); d.Process(b) })
	}
}
