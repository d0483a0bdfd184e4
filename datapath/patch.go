package datapath

import (
	"crypto/rand"
	"errors"
	"sync"
	"sync/atomic"

	"gswitch/ofproto"
	"gswitch/packet"
	"gswitch/ports"
)

// MaxPatchDepth is how many patch ports one packet may cross: an output
// that would cross one more is dropped and counted (the port's tx drops),
// so a loop of patch ports ends.
const MaxPatchDepth = 8

// patchEnd is one end of a patch port pair (OVS's type=patch with
// options:peer): the peer's bridge and name, and the peer port once both
// ends exist.
type patchEnd struct {
	b        *Bridge
	peerBr   *Bridge
	peerName string
	peer     atomic.Pointer[port]
	hw       [6]byte
	// ctr counts what crossed this end: tx into the peer, rx from it
	// (as OVS counts patch ports in netdev_vport_inc_tx/rx).
	ctr ports.Counters
}

// patchMu serializes linking and unlinking patch ends, which may belong
// to two bridges.
var patchMu sync.Mutex

// AddPatch adds a patch port named name (requested number ofport, 0 for
// none, numbered as AddPort) whose peer is the patch port peerName of
// bridge peer (which may be b itself). The pair carries packets once both
// ends exist; until then outputs to it are dropped. An output to a patch
// port runs the packet, as the pipeline has made it so far, through the
// peer bridge's pipeline from the peer port with fresh metadata (as OVS's
// patch_port_output: registers, metadata, tunnel and ct state cleared), on
// the same goroutine at the end of the batch.
func (b *Bridge) AddPatch(name string, ofport uint32, peer *Bridge, peerName string) (uint32, error) {
	if peer == nil || peerName == "" {
		return 0, errors.New("datapath: a patch port needs a peer")
	}
	if peer == b && peerName == name {
		return 0, errors.New("datapath: a patch port cannot be its own peer")
	}
	pe := &patchEnd{b: b, peerBr: peer, peerName: peerName}
	rand.Read(pe.hw[:])
	pe.hw[0] = pe.hw[0]&^1 | 2
	p, err := b.addPort(ofport, name, "patch", nil, pe)
	if err != nil {
		return 0, err
	}
	patchMu.Lock()
	defer patchMu.Unlock()
	if b.tab.Load().byNo[p.no] != p {
		return p.no, nil // removed meanwhile
	}
	for _, q := range peer.tab.Load().list {
		if q.name == peerName && q.patch != nil && q.patch.peerBr == b && q.patch.peerName == name && !q.gone.Load() {
			pe.peer.Store(q)
			q.patch.peer.Store(p)
		}
	}
	return p.no, nil
}

// unlink detaches this end from its peer (its port is going away).
func (pe *patchEnd) unlink() {
	patchMu.Lock()
	defer patchMu.Unlock()
	if q := pe.peer.Swap(nil); q != nil && q.patch != nil {
		q.patch.peer.Store(nil)
	}
}

// patchBatch is a patch flush's scratch batch (flushPatch may recurse
// through other bridges, so each call takes its own).
type patchBatch struct {
	pkts  [packet.MaxBatch]*packet.Packet
	batch packet.Batch
}

var patchBatches = sync.Pool{New: func() any { return new(patchBatch) }}

// flushPatch runs what is queued for patch port p through the peer
// bridge's pipeline.
func (b *Bridge) flushPatch(p *port) {
	pe := p.patch
	sb := patchBatches.Get().(*patchBatch)
	for p.npend.Load() > 0 {
		n := p.take(sb.pkts[:])
		if n == 0 {
			break
		}
		pkts := sb.pkts[:n]
		q := pe.peer.Load()
		if q == nil || q.gone.Load() || q.config.Load()&ofproto.PortConfigNoRecv != 0 {
			pe.ctr.Drop(ports.DropTxError, n)
		} else {
			nb := 0
			for _, pk := range pkts {
				nb += len(pk.Data)
				pk.Key.SetInPort(q.no)
			}
			pe.ctr.Tx(n, nb)
			q.patch.ctr.Rx(n, nb)
			sb.batch = packet.Batch{Pkts: pkts, Now: b.now()}
			// The copies are this flush's: the peer's last outputs take
			// them over (their slots come back nil).
			pe.peerBr.dp.ProcessOwned(&sb.batch)
			sb.batch = packet.Batch{}
		}
		for i, pk := range pkts {
			if pk != nil {
				b.pool.Put(pk)
			}
			sb.pkts[i] = nil
		}
	}
	patchBatches.Put(sb)
}
