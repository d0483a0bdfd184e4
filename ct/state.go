package ct

import (
	"bytes"
	"encoding"
	"encoding/gob"
	"errors"
	"fmt"
	"time"

	"gswitch/ct/alg"
	"gswitch/packet"
)

// A tracker's state for a restart (gswitch --state-dir): ExportState takes
// the whole table, the expectations and the configuration, ImportState
// puts them into a fresh tracker. Deadlines are kept as the time left
// (each process has its own monotonic clock); restored connections get
// fresh slots, so their generations (conn.gen) start anew. The encoding
// is gob over the exported mirror types below: the caller frames it
// (version, checksum).

// State is a tracker's exported state.
type State struct {
	MaxConns      uint32
	DefaultLimit  uint32
	SeqCheck      bool
	SweepInterval time.Duration
	// DefaultTimeouts are the default policy's explicitly set attributes.
	DefaultTimeouts map[string]uint32
	Zones           []ZoneState
	Conns           []ConnState
	Expectations    []ExpState
}

// ZoneState is one zone's own configuration.
type ZoneState struct {
	Zone     uint16
	Limit    int64             // -1: none of its own
	SeqCheck int8              // 0: global, 1: on, 2: off
	Timeouts map[string]uint32 // nil: no policy of its own
}

// KeyState is one direction's tuple.
type KeyState struct {
	Src, Dst     [16]byte
	SPort, DPort uint16
	Zone         uint16
	Proto        uint8
	IType        uint8
	V6           bool
}

// PeerState is one TCP peer's window state.
type PeerState struct {
	SeqLo, SeqHi uint32
	MaxWin       uint16
	WScale       uint8
	State        uint8
}

// ConnState is one connection: both tuples (the reply one after NAT, so
// the NAT binding), its state, mark, label, helper and time left.
type ConnState struct {
	Key, RKey KeyState
	State     uint8
	NATAct    uint8
	Helper    string // ALG helper name, "" none
	Related   bool
	Mark      uint32
	Label     packet.U128
	TCP       [2]PeerState
	// ZoneTP: created under its zone's timeout policy, which is still set.
	ZoneTP bool
	Left   time.Duration
	// ALG state (helper and related connections).
	HasALG bool
	Parent KeyState
	SeqAdj []byte // alg.SeqAdjust
	// HelperState is the helper's own state (the FTP helper's
	// reassembly), when it has one.
	HelperState []byte
	MasterTo    [2]alg.Tuple
}

// ExpState is a pending expectation with its time left.
type ExpState struct {
	Exp  alg.Expectation
	Left time.Duration
}

func keyState(k *connKey) KeyState {
	return KeyState{k.src, k.dst, k.sport, k.dport, k.zone, k.proto, k.itype, k.v6}
}

func (k *KeyState) key() connKey {
	return connKey{src: k.Src, dst: k.Dst, sport: k.SPort, dport: k.DPort, zone: k.Zone, proto: k.Proto, itype: k.IType, v6: k.V6}
}

func peerState(p *tcpPeer) PeerState {
	return PeerState{p.seqlo, p.seqhi, p.maxWin, p.wscale, p.state}
}

func (p *PeerState) peer() tcpPeer {
	return tcpPeer{seqlo: p.SeqLo, seqhi: p.SeqHi, maxWin: p.MaxWin, wscale: p.WScale, state: p.State}
}

func policyAttrs(p *policy) map[string]uint32 {
	m := make(map[string]uint32)
	for i := 0; i < numAttrs; i++ {
		if p.present&(1<<i) != 0 {
			m[attrNames[i]] = p.attrs[i]
		}
	}
	return m
}

// ExportState returns the tracker's state at now (the datapath clock).
// Connections expired by now are left out. Packets may still run: each
// connection is copied under its lock.
func (t *Tracker) ExportState(now int64) *State {
	st := &State{
		MaxConns: t.maxConns.Load(), DefaultLimit: uint32(t.defLimit.Load()), SeqCheck: t.seqChk.Load(),
		SweepInterval: t.SweepInterval(), DefaultTimeouts: policyAttrs(t.defTP.Load()),
	}
	for z := range t.zones {
		zc := t.zones[z].Load()
		if zc == nil {
			continue
		}
		zs := ZoneState{Zone: uint16(z), Limit: zc.limit, SeqCheck: zc.seqChk}
		if zc.tp != nil {
			zs.Timeouts = policyAttrs(zc.tp)
		}
		st.Zones = append(st.Zones, zs)
	}
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		s.each(-1, func(c *conn) bool {
			left := c.exp.Load() - now
			if left <= 0 {
				return true
			}
			c.mu.Lock()
			cs := ConnState{
				Key: keyState(&c.key), RKey: keyState(&c.rkey), State: c.state, NATAct: c.natAct,
				Related: c.related, Mark: c.mark, Label: c.label,
				TCP:    [2]PeerState{peerState(&c.tcp[0]), peerState(&c.tcp[1])},
				ZoneTP: c.tpGen != 0 && t.zoneTPGen(c.key.zone) == c.tpGen,
				Left:   time.Duration(left),
			}
			if h := helperOf(c.helper); h != nil {
				cs.Helper = h.Name()
			}
			if as := t.algs.get(c.idx, c.gen); as != nil {
				cs.HasALG = true
				cs.Parent = keyState(&as.parent)
				cs.SeqAdj, _ = as.adj.MarshalBinary()
				cs.MasterTo = [2]alg.Tuple{as.master.Orig, as.master.Reply}
				if m, ok := as.helper.(encoding.BinaryMarshaler); ok {
					cs.HelperState, _ = m.MarshalBinary()
				}
			}
			c.mu.Unlock()
			st.Conns = append(st.Conns, cs)
			return true
		})
		s.mu.RUnlock()
	}
	for _, e := range t.exps.List(nil) {
		left := e.Created + int64(e.Lifetime) - now
		if left <= 0 {
			continue
		}
		st.Expectations = append(st.Expectations, ExpState{Exp: e, Left: time.Duration(left)})
	}
	return st
}

// ImportState restores st into t, which must hold no connection and no
// expectation, at now (the datapath clock): configuration first, then
// the connections (their global and zone limits do not refuse them: they
// were admitted before), then the expectations. It checks everything
// before it changes anything, so an error leaves t as it was.
func (t *Tracker) ImportState(st *State, now int64) error {
	if t.Count() != 0 || t.exps.Len() != 0 {
		return errors.New("ct: state can only be restored into an empty tracker")
	}
	defTP, err := buildPolicy(st.DefaultTimeouts)
	if err != nil {
		return fmt.Errorf("ct: state: %w", err)
	}
	zoneTP := make(map[uint16]*policy)
	for _, z := range st.Zones {
		if z.Timeouts != nil {
			p, err := buildPolicy(z.Timeouts)
			if err != nil {
				return fmt.Errorf("ct: state: zone %d: %w", z.Zone, err)
			}
			zoneTP[z.Zone] = p
		}
		if z.SeqCheck < 0 || z.SeqCheck > 2 {
			return fmt.Errorf("ct: state: zone %d: bad TCP sequence check setting %d", z.Zone, z.SeqCheck)
		}
	}
	helpers := make([]uint8, len(st.Conns))
	hconns := make([]alg.Conn, len(st.Conns))
	seen := make(map[connKey]bool, 2*len(st.Conns))
	for i := range st.Conns {
		cs := &st.Conns[i]
		if cs.Helper != "" {
			h, ok := alg.Lookup(cs.Helper)
			if !ok {
				return fmt.Errorf("ct: state: unknown helper %q", cs.Helper)
			}
			helpers[i] = helperID(h.Port(), h.Proto())
			hconns[i] = h.NewConn()
			if len(cs.HelperState) > 0 {
				u, ok := hconns[i].(encoding.BinaryUnmarshaler)
				if !ok {
					return fmt.Errorf("ct: state: helper %s keeps no state", cs.Helper)
				}
				if err := u.UnmarshalBinary(cs.HelperState); err != nil {
					return fmt.Errorf("ct: state: %w", err)
				}
			}
		}
		if cs.HasALG && len(cs.SeqAdj) > 0 {
			var a alg.SeqAdjust
			if err := a.UnmarshalBinary(cs.SeqAdj); err != nil {
				return fmt.Errorf("ct: state: %w", err)
			}
		}
		if cs.Left <= 0 {
			return errors.New("ct: state: a connection without time left")
		}
		k, rk := cs.Key.key(), cs.RKey.key()
		if seen[k] || seen[rk] || k == rk {
			return errors.New("ct: state: two connections with one tuple")
		}
		seen[k], seen[rk] = true, true
	}

	// Configuration.
	t.maxConns.Store(st.MaxConns)
	t.defLimit.Store(int64(st.DefaultLimit))
	t.seqChk.Store(st.SeqCheck)
	if st.SweepInterval > 0 {
		t.SetSweepInterval(st.SweepInterval)
	}
	t.defTP.Store(defTP)
	for _, z := range st.Zones {
		t.updateZone(z.Zone, func(zc *zoneConf) {
			zc.limit, zc.seqChk = z.Limit, z.SeqCheck
			if p := zoneTP[z.Zone]; p != nil {
				zc.tp, zc.tpGen = p, t.nextTPGen()
			}
		})
	}

	// Connections.
	for i := range st.Conns {
		cs := &st.Conns[i]
		tmp := &conn{key: cs.Key.key(), rkey: cs.RKey.key(), natAct: cs.NATAct, helper: helpers[i], related: cs.Related}
		tmp.state = cs.State
		tmp.mark, tmp.label = cs.Mark, cs.Label
		tmp.tcp = [2]tcpPeer{cs.TCP[0].peer(), cs.TCP[1].peer()}
		if cs.ZoneTP {
			tmp.tpGen = t.zoneTPGen(tmp.key.zone)
		}
		tmp.exp.Store(now + int64(cs.Left))
		var as *algState
		if cs.HasALG || tmp.helper != 0 || tmp.related {
			as = &algState{related: cs.Related}
			as.helper = hconns[i]
			as.master = alg.Master{Proto: tmp.key.proto, Zone: tmp.key.zone, Orig: algTuple(&tmp.key), Reply: algTuple(&tmp.rkey)}
			if cs.HasALG {
				as.master.Orig, as.master.Reply = cs.MasterTo[0], cs.MasterTo[1]
				as.parent = cs.Parent.key()
				if len(cs.SeqAdj) > 0 {
					_ = as.adj.UnmarshalBinary(cs.SeqAdj) // checked above
				}
			}
		}
		t.n.Add(1)
		t.zcount[tmp.key.zone].Add(1)
		if c, _ := t.insert(tmp, as, now); c == nil {
			// Checked above: no two connections share a tuple.
			t.release(tmp.key.zone)
		}
	}

	// Expectations.
	for _, es := range st.Expectations {
		e := es.Exp
		e.Created = now
		e.Lifetime = es.Left
		if !t.exps.Add(e) {
			t.cnt.expFull.Add(1)
		}
	}
	return nil
}

// MarshalState encodes st (gob).
func MarshalState(st *State) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(st); err != nil {
		return nil, fmt.Errorf("ct: encoding state: %w", err)
	}
	return b.Bytes(), nil
}

// UnmarshalState decodes what MarshalState returned.
func UnmarshalState(b []byte) (*State, error) {
	st := &State{}
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(st); err != nil {
		return nil, fmt.Errorf("ct: decoding state: %w", err)
	}
	return st, nil
}
