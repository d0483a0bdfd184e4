package nat

import (
	"errors"
	"testing"
)

func TestFromRaw(t *testing.T) {
	v4 := func(s string) [16]byte { return a4(s) }
	var z [16]byte
	cases := []struct {
		name       string
		flags, rp  uint16
		amin, amax [16]byte
		pmin, pmax uint16
		want       error
		check      func(r Range) bool
	}{
		{"bare", 0, 0, z, z, 0, 0, nil, func(r Range) bool { return r.Kind == None }},
		{"bare flags", FlagPersistent, 0, z, z, 0, 0, nil, func(r Range) bool { return r.Kind == None }},
		{"bare range", 0, RangeIPv4Min, v4("203.0.113.1"), z, 0, 0, ErrRangeOnBareNAT, nil},
		{"src", FlagSrc, 0, z, z, 0, 0, nil, func(r Range) bool { return r.Kind == Src && !r.HasAddr && !r.HasPorts }},
		{"src single", FlagSrc, RangeIPv4Min, v4("203.0.113.1"), z, 0, 0, nil,
			func(r Range) bool { return r.HasAddr && !r.V6 && r.AddrMax == v4("203.0.113.1") }},
		{"src range ports", FlagSrc | FlagRandom, RangeIPv4Min | RangeIPv4Max | RangeProtoMin | RangeProtoMax,
			v4("203.0.113.100"), v4("203.0.113.101"), 20000, 20099, nil,
			func(r Range) bool {
				return r.Random && r.HasPorts && r.PortMin == 20000 && r.PortMax == 20099 && r.AddrMax == v4("203.0.113.101")
			}},
		{"dst port only min", FlagDst, RangeIPv4Min | RangeProtoMin, v4("198.51.100.10"), z, 8080, 0, nil,
			func(r Range) bool { return r.Kind == Dst && r.PortMin == 8080 && r.PortMax == 8080 }},
		{"v6", FlagSrc | FlagPersistent, RangeIPv6Min | RangeIPv6Max, a6("2001:db8:2::100"), a6("2001:db8:2::1ff"), 0, 0, nil,
			func(r Range) bool { return r.V6 && r.Persistent && r.AddrMax == a6("2001:db8:2::1ff") }},
		{"max zero means min", FlagSrc, RangeIPv4Min | RangeIPv4Max, v4("203.0.113.1"), z, 0, 0, nil,
			func(r Range) bool { return r.AddrMax == v4("203.0.113.1") }},
		{"unknown flag", FlagSrc | 1<<7, 0, z, z, 0, 0, ErrUnknownFlags, nil},
		{"src and dst", FlagSrc | FlagDst, 0, z, z, 0, 0, ErrSrcAndDst, nil},
		{"hash and random", FlagSrc | FlagHash | FlagRandom, 0, z, z, 0, 0, ErrHashAndRandom, nil},
		{"mixed", FlagSrc, RangeIPv4Min | RangeIPv6Max, v4("203.0.113.1"), z, 0, 0, ErrMixedFamilies, nil},
		{"v4 max alone", FlagSrc, RangeIPv4Max, z, v4("203.0.113.1"), 0, 0, ErrMaxWithoutMin, nil},
		{"v6 max alone", FlagSrc, RangeIPv6Max, z, a6("2001:db8::1"), 0, 0, ErrMaxWithoutMin, nil},
		{"zero v4", FlagSrc, RangeIPv4Min, z, z, 0, 0, ErrZeroAddr, nil},
		{"zero v6", FlagSrc, RangeIPv6Min, z, z, 0, 0, ErrZeroAddr, nil},
		{"inverted v4", FlagSrc, RangeIPv4Min | RangeIPv4Max, v4("203.0.113.9"), v4("203.0.113.1"), 0, 0, ErrInvertedAddr, nil},
		{"inverted v6", FlagDst, RangeIPv6Min | RangeIPv6Max, a6("2001:db8::9"), a6("2001:db8::1"), 0, 0, ErrInvertedAddr, nil},
		{"ports no addr", FlagSrc, RangeProtoMin, z, z, 100, 0, ErrPortsNoAddr, nil},
		{"port max alone", FlagSrc, RangeIPv4Min | RangeProtoMax, v4("203.0.113.1"), z, 0, 100, ErrMaxWithoutMin, nil},
		{"zero port", FlagSrc, RangeIPv4Min | RangeProtoMin, v4("203.0.113.1"), z, 0, 0, ErrZeroPort, nil},
		{"inverted ports", FlagSrc, RangeIPv4Min | RangeProtoMin | RangeProtoMax, v4("203.0.113.1"), z, 200, 100, ErrInvertedPorts, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := FromRaw(c.flags, c.rp, c.amin, c.amax, c.pmin, c.pmax)
			if !errors.Is(err, c.want) {
				t.Errorf("%s: err %v, want %v", c.name, err, c.want)
				return
			}
			if c.want != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("%s: %v is not ErrInvalid", c.name, err)
				}
				return
			}
			if c.check != nil && !c.check(r) {
				t.Errorf("%s: got %+v", c.name, r)
			}
			if r.Kind != None {
				if err := r.Check(); err != nil {
					t.Errorf("%s: Check of FromRaw's result: %v", c.name, err)
				}
			}
		})
	}
}

func TestCheckAndFits(t *testing.T) {
	r := rng(Src, "203.0.113.1", "203.0.113.2", 0, 0)
	o4 := tup(protoTCP, "198.51.100.1", 1000, "203.0.113.5", 80)
	o6 := tup(protoTCP, "2001:db8:1::1", 1000, "2001:db8:2::5", 80)
	if !r.Fits(&o4) || r.Fits(&o6) {
		t.Error("IPv4 range fits")
	}
	if n := rng(Src, "", "", 0, 0); !n.Fits(&o4) || !n.Fits(&o6) {
		t.Error("addressless range must fit both")
	}
	bad := []struct {
		name string
		r    *Range
	}{
		{"no kind", &Range{Kind: None}},
		{"inverted addresses", rng(Src, "203.0.113.2", "203.0.113.1", 0, 0)},
		{"inverted ports", rng(Src, "203.0.113.1", "203.0.113.1", 9, 8)},
		{"ports without address", &Range{Kind: Dst, HasPorts: true, PortMin: 1, PortMax: 2}},
		{"IPv6 bytes with V6 false", &Range{Kind: Src, HasAddr: true, AddrMin: a6("::1"), AddrMax: a6("::2")}},
		{"hash and random", &Range{Kind: Src, Hash: true, Random: true}},
	}
	for i, c := range bad {
		b := c.r
		t.Run(c.name, func(t *testing.T) {
			if b.Check() == nil {
				t.Errorf("%d: Check accepted %+v", i, b)
			}
			if _, ok := Select(b, &o4, func(Tuple) bool { return false }, 1); ok {
				t.Errorf("%d: Select accepted %+v", i, b)
			}
		})
	}
	if _, ok := Select(r, &o6, func(Tuple) bool { return false }, 1); ok {
		t.Error("Select of an IPv4 range for IPv6")
	}
}
