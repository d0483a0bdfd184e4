package frag

import (
	"errors"
	"net/netip"
)

// Errors of SetMinFrag and SetMaxFrags, with OVS's texts (its daemon adds
// "(Operation not permitted)": the ipf setters return 1).
var (
	ErrMinFragTooSmall = errors.New("requested minimum fragment size too small; see documentation")
	ErrMaxFragsTooBig  = errors.New("setting maximum fragments failed")
)

// ListState is the state of an incomplete datagram, numbered as OVS's
// ipf_list_state.
type ListState uint8

// String returns OVS's name of the state ("first frag").
func (s ListState) String() string { return stateNames[s] }

// Pending describes one incomplete datagram, as OVS's
// `dpctl/ipf-get-status -m` lists it.
type Pending struct {
	Src, Dst  netip.Addr
	Recirc    uint32
	ID        uint32 // IPv4 ID or IPv6 Fragment identification
	Zone      uint16
	Proto     uint8 // IPv4 protocol; 0 for IPv6, as OVS
	Fragments int   // fragments held
	State     ListState
}

// Pending returns the incomplete datagrams, oldest first.
func (r *Reassembler) Pending() []Pending {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Pending
	for d := r.head; d != nil; d = d.next {
		k := &d.key
		p := Pending{Recirc: k.recirc, ID: k.id, Zone: k.zone, Proto: k.proto,
			Fragments: len(d.frags), State: ListState(d.state)}
		if k.v6 {
			p.Src, p.Dst = netip.AddrFrom16(k.src), netip.AddrFrom16(k.dst)
		} else {
			p.Src, p.Dst = netip.AddrFrom4([4]byte(k.src[:4])), netip.AddrFrom4([4]byte(k.dst[:4]))
		}
		out = append(out, p)
	}
	return out
}
