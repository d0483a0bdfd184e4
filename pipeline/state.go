package pipeline

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"time"
)

// A datapath's state for a restart (gswitch --state-dir): its flows with
// their counters and ages, groups with their counters, and meters with
// their counters and ages, in the model's own types.
// Times are kept as ages (each process has its own monotonic clock). The
// encoding is gob; the caller frames it (version, checksum).

// State is a datapath's exported state.
type State struct {
	Meters []MeterSpec
	// MeterCounters are the meters' counters, in Meters' order (a state
	// without them restores the meters with zero counters).
	MeterCounters []MeterCounters
	Groups        []GroupSpec
	// GroupCounters are the groups' counters, in Groups' order.
	GroupCounters []GroupCounters
	Flows         []FlowState
}

// GroupCounters are a group's packet and byte counters and its buckets'.
type GroupCounters struct {
	Packets, Bytes uint64
	Buckets        []BucketStats
}

// MeterCounters are a meter's packet and byte counters, its bands', and
// its age (since it was added).
type MeterCounters struct {
	Packets, Bytes uint64
	Bands          []BandStats
	Age            time.Duration
}

// FlowState is one flow: its spec (cookie, timeouts, flags, actions) and
// counters, its times as ages.
type FlowState struct {
	Spec    FlowSpec
	Packets uint64
	Bytes   uint64
	Age     time.Duration // since it was added
	IdleAge time.Duration // since its last packet (or its addition)
	HardAge time.Duration // since it was added, modified or refreshed
	Used    bool          // it matched a packet
}

func init() {
	// The concrete actions, for gob to encode the Action interface.
	for _, a := range []Action{Output{}, SetTun{}, OutputReg{}, Controller{}, GroupAction{}, SetField{},
		RegLoad{}, Move{}, Resubmit{}, DecTTL{}, SetTTL{}, PushVLAN{}, PushMPLS{}, PopMPLS{}, DecMPLSTTL{},
		DecNSHTTL{}, PopVLAN{}, SetQueue{}, Note{}, CTClear{}, Exit{}, Conjunction{}, CT{}, NAT{}, Clone{},
		Meter{}, StackPush{}, StackPop{}, CheckPktLarger{}, Sample{}, Learn{}, FinTimeout{}, PopQueue{},
		Multipath{}, Bundle{}} {
		gob.Register(a)
	}
}

// ExportState returns the datapath's flows, groups and meters at now.
func (d *Datapath) ExportState(now int64) (*State, error) {
	st := &State{}
	ms, err := d.Meters(MeterAll)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		st.Meters = append(st.Meters, m.Spec)
		st.MeterCounters = append(st.MeterCounters, MeterCounters{Packets: m.Packets, Bytes: m.Bytes, Bands: m.Bands,
			Age: time.Duration(now - m.Created)})
	}
	for _, g := range d.Groups() {
		st.Groups = append(st.Groups, g.Spec)
		st.GroupCounters = append(st.GroupCounters, GroupCounters{Packets: g.Packets, Bytes: g.Bytes, Buckets: g.Buckets})
	}
	for _, f := range d.Flows(&FlowFilter{Table: TableAll, OutPort: PortAny, OutGroup: GroupAny}, now) {
		st.Flows = append(st.Flows, FlowState{
			Spec: f.Spec, Packets: f.Packets, Bytes: f.Bytes,
			Age: time.Duration(now - f.Created), IdleAge: time.Duration(now - f.LastUsed),
			HardAge: time.Duration(now - f.Modified), Used: f.LastUsed != f.Created || f.Packets != 0,
		})
	}
	return st, nil
}

// ImportState replaces the datapath's flows, groups and meters with st's
// at now: meters (with their counters and ages), then groups, then the flows with their counters and
// ages, the flows in one change (packets see all of them or the old
// table). On error the flows are as before; meters and groups added so
// far stay.
func (d *Datapath) ImportState(st *State, now int64) error {
	for i := range st.Meters {
		if err := d.MeterMod(MeterAdd, &st.Meters[i], now); err != nil {
			return fmt.Errorf("meter %d: %w", st.Meters[i].ID, err)
		}
		if i < len(st.MeterCounters) {
			d.cur.Load().meters.get(st.Meters[i].ID).restore(&st.MeterCounters[i], now)
		}
	}
	for i := range st.Groups {
		g := st.Groups[i]
		if err := d.GroupMod(GroupAddOrModify, &g); err != nil {
			return fmt.Errorf("group %d: %w", g.ID, err)
		}
		if i < len(st.GroupCounters) {
			gc := &st.GroupCounters[i]
			if ng := d.cur.Load().groups[g.ID]; ng != nil {
				ng.ctr.packets.Store(gc.Packets)
				ng.ctr.bytes.Store(gc.Bytes)
				for j := range min(len(ng.ctr.buckets), len(gc.Buckets)) {
					ng.ctr.buckets[j].packets.Store(gc.Buckets[j].Packets)
					ng.ctr.buckets[j].bytes.Store(gc.Buckets[j].Bytes)
				}
			}
		}
	}
	d.mu.Lock()
	c := d.begin(now)
	for _, tf := range collect(c.v, TableAll, &Match{}, false, 0, 0, 0, PortAny, GroupAny) {
		c.remove(tf, RemovedDelete)
	}
	for i := range st.Flows {
		fs := &st.Flows[i]
		for w := range fs.Spec.Match.Value {
			if fs.Spec.Match.Value[w]&^fs.Spec.Match.Mask[w] != 0 {
				d.mu.Unlock()
				return Errorf(OFPBMC_BAD_WILDCARDS, "flow %d: match value bits outside its mask", i)
			}
		}
		f, err := d.addSpecLocked(c, fs.Spec, now-int64(fs.Age), now-int64(fs.HardAge))
		if err != nil {
			d.mu.Unlock()
			return err
		}
		f.ctr.packets.Store(fs.Packets)
		f.ctr.bytes.Store(fs.Bytes)
		if fs.Used {
			f.ctr.used.Store(now - int64(fs.IdleAge))
		}
	}
	c.commit()
	d.mu.Unlock()
	c.report()
	return nil
}

// MarshalState encodes st (gob).
func MarshalState(st *State) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(st); err != nil {
		return nil, fmt.Errorf("pipeline: encoding state: %w", err)
	}
	return b.Bytes(), nil
}

// UnmarshalState decodes what MarshalState returned.
func UnmarshalState(b []byte) (*State, error) {
	st := &State{}
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(st); err != nil {
		return nil, fmt.Errorf("pipeline: decoding state: %w", err)
	}
	return st, nil
}
