package pipeline

import (
	"encoding/binary"
	"math/bits"

	"gswitch/packet"
)

// OVS 3.1's "hash" selection method (ofproto-dpif-xlate.c
// pick_hash_fields_select_group and group_best_live_bucket), with OVS's own
// hash functions (lib/hash.h, the MurmurHash3-based ones a generic x86-64
// build uses), so that a flow takes the bucket OVS's ofproto/trace shows.

func ovsHashAdd(h, data uint32) uint32 {
	if data != 0 {
		data *= 0xcc9e2d51
		data = bits.RotateLeft32(data, 15)
		data *= 0x1b873593
		h ^= data
	}
	h = bits.RotateLeft32(h, 13)
	return h*5 + 0xe6546b64
}

func ovsHashFinish(h, final uint32) uint32 {
	h ^= final
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// ovsHashUint64 is OVS's hash_uint64 (basis 0).
func ovsHashUint64(x uint64) uint32 {
	return ovsHashFinish(ovsHashAdd(ovsHashAdd(0, uint32(x)), uint32(x>>32)), 8)
}

// ovsHashInt is OVS's hash_int (hash_2words).
func ovsHashInt(x, basis uint32) uint32 {
	return ovsHashFinish(ovsHashAdd(ovsHashAdd(x, 0), basis), 8)
}

// ovsHashBytes is OVS's hash_bytes on a little-endian machine.
func ovsHashBytes(p []byte, basis uint32) uint32 {
	h := basis
	n := len(p)
	for ; len(p) >= 4; p = p[4:] {
		h = ovsHashAdd(h, binary.LittleEndian.Uint32(p))
	}
	if len(p) > 0 {
		var t [4]byte
		copy(t[:], p)
		h = ovsHashAdd(h, binary.LittleEndian.Uint32(t[:]))
	}
	return ovsHashFinish(h, uint32(n))
}

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
		basis = ovsHashBytes(buf[16-n:], basis)
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
		score := (ovsHashInt(b.ID, basis) & 0xffff) * uint32(b.Weight)
		if score >= bestScore {
			best, bestScore = i, score
		}
	}
	return best
}
