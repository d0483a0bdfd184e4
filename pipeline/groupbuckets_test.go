package pipeline

import "testing"

// TestInsertBucketLimit: insert-buckets grows a group up to MaxBuckets (what
// one OpenFlow 1.5 group-mod can carry) and then answers
// OFPGMFC_OUT_OF_BUCKETS, leaving the group as it was; remove-buckets at
// "last" takes the last bucket.
func TestInsertBucketLimit(t *testing.T) {
	d := New(Config{})
	if err := d.GroupMod(GroupAdd, &GroupSpec{ID: 1, Type: GroupTypeAll}); err != nil {
		t.Fatal(err)
	}
	const chunk = 1000
	next := uint32(0)
	for next+chunk <= MaxBuckets {
		g := &GroupSpec{ID: 1, CommandBucketID: BucketLast}
		for i := 0; i < chunk; i++ {
			g.Buckets = append(g.Buckets, Bucket{ID: next, WatchPort: PortAny, WatchGroup: GroupAny})
			next++
		}
		if err := d.GroupMod(GroupInsertBucket, g); err != nil {
			t.Fatalf("at %d buckets: %v", next, err)
		}
	}
	g := &GroupSpec{ID: 1, CommandBucketID: BucketLast}
	for next < MaxBuckets+1 {
		g.Buckets = append(g.Buckets, Bucket{ID: next, WatchPort: PortAny, WatchGroup: GroupAny})
		next++
	}
	err := d.GroupMod(GroupInsertBucket, g)
	if pe, ok := err.(*Error); !ok || !pe.HasCode(OFPGMFC_OUT_OF_BUCKETS) {
		t.Fatalf("insert past %d buckets: %v", MaxBuckets, err)
	}
	gs := d.Groups()
	if n := len(gs[0].Spec.Buckets); n != MaxBuckets/chunk*chunk {
		t.Fatalf("group has %d buckets after the refused insert", n)
	}
	if err := d.GroupMod(GroupRemoveBucket, &GroupSpec{ID: 1, CommandBucketID: BucketLast}); err != nil {
		t.Fatal(err)
	}
	gs = d.Groups()
	if b := gs[0].Spec.Buckets; len(b) != MaxBuckets/chunk*chunk-1 || b[len(b)-1].ID != uint32(len(b)-1) {
		t.Fatalf("after remove last: %d buckets, last id %d", len(b), b[len(b)-1].ID)
	}
}
