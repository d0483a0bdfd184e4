package pipeline

import (
	"encoding/binary"

	"gswitch/packet"
)

// OVS 3.1's "hash" selection method (ofproto-dpif-xlate.c
// pick_hash_fields_select_group and group_best_live_bucket), with OVS's own
// hash functions (flowhash.go: lib/hash.h, the MurmurHash3-based ones a
// generic x86-64 build uses), so that a flow takes the bucket OVS's
// ofproto/trace shows.

// hashFieldsBasis hashes pk's values of g's hash fields, each under its
// mask, in network byte order and the field's wire width, with the group's
// basis; fields whose prerequisites pk does not meet are left out.
func hashFieldsBasis(g *group, k *packet.Key) uint32 {
	basis := g.basis
	var buf [16]byte
	for i := range g.hashFields {
		f := &g.hashFields[i]
		if !packet.Fields[f.Field].Prereq.MetBy(&k.W, &k.W) {
			continue
		}
		n := int(f.Wire & 0xff)
		if n > len(buf) {
			n = len(buf)
		}
		v := k.W.Get(f.Field)
		v.Hi &= f.Mask.Hi
		v.Lo &= f.Mask.Lo
		binary.BigEndian.PutUint64(buf[0:], v.Hi)
		binary.BigEndian.PutUint64(buf[8:], v.Lo)
		basis = hashBytes(buf[16-n:], basis)
	}
	return basis
}

// pickHashFields picks g's bucket for pk as OVS's group_best_live_bucket:
// of the live buckets, the last with the highest (hash of bucket id and the
// fields' hash, low 16 bits) x weight; -1 if none is live.
func (w *worker) pickHashFields(g *group, pk *packet.Packet) int {
	basis := hashFieldsBasis(g, &pk.Key)
	best := -1
	var bestScore uint32
	for i := range g.spec.Buckets {
		b := &g.spec.Buckets[i]
		if !w.bucketLive(b, 0) {
			continue
		}
		score := (hash2Words(b.ID, basis) & 0xffff) * uint32(b.Weight)
		if score >= bestScore {
			best, bestScore = i, score
		}
	}
	return best
}
