package datapath

import (
	"net"
	"testing"

	"gswitch/ports/porttest"
)

// portStatusHW reads the next OpenFlow 1.3 port-status: reason, port
// number and address.
func portStatusHW(t *testing.T, c interface{ Recv() ([]byte, error) }) (reason uint8, no uint32, hw [6]byte) {
	t.Helper()
	for {
		m, err := c.Recv()
		if err != nil {
			t.Fatalf("waiting for a port status: %v", err)
		}
		if m[1] == ofptPortStatus {
			copy(hw[:], m[24:30])
			return m[8], uint32(m[16])<<24 | uint32(m[17])<<16 | uint32(m[18])<<8 | uint32(m[19]), hw
		}
	}
}

// TestSetAddress: the bridge's address and datapath id change in place
// (flows stay); the LOCAL device takes the address with a port-status; an
// internal port's address is set with a port-status; a removed port's
// port-status carries its last address (as OVS's ofport->pp).
func TestSetAddress(t *testing.T) {
	e := newEnv(t)
	p1 := porttest.New("p1", porttest.HWAddr(net.HardwareAddr{0, 0x5e, 0, 0, 0, 1}))
	local := porttest.New("br0", porttest.HWAddr(net.HardwareAddr{2, 0, 0, 0, 0, 9}))
	b, err := New(Config{Name: "br0", FailMode: "secure", HWAddr: [6]byte{2, 0, 0, 0, 0, 9}, HWAddrSet: true, DatapathID: 0xa1, DatapathIDSet: true, Local: local,
		Tracker: e.tracker, Pool: e.pool, Clock: e.now}, []Port{{No: 1, Dev: p1, Type: "porttest"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addFlow(t, b, 10, 1, out(2))
	c := controller(t, b)
	if err := c.Barrier(); err != nil { // the switch has taken our hello
		t.Fatal(err)
	}

	// A fixed datapath id: connections stay and see the LOCAL port-status.
	hw := [6]byte{2, 0x5e, 0, 0, 0, 0xa0}
	if err := b.SetAddress(hw, 0xa1, true); err != nil {
		t.Fatal(err)
	}
	if b.HWAddr() != hw || b.DatapathID() != 0xa1 || local.HWAddr().String() != "02:5e:00:00:00:a0" {
		t.Errorf("after SetAddress: address %x, id %x, LOCAL device %s", b.HWAddr(), b.DatapathID(), local.HWAddr())
	}
	if r, no, got := portStatusHW(t, c); r != 2 || no != 0xfffffffe || got != hw {
		t.Errorf("port-status reason %d port %x hw %x, want MODIFY LOCAL %x", r, no, got, hw)
	}
	if n := b.Pipeline().NumFlows(); n != 1 {
		t.Errorf("%d flows after SetAddress, want 1", n)
	}

	mac := [6]byte{0, 0x5e, 0, 0, 0, 5}
	if err := b.SetPortHWAddr(1, mac); err != nil {
		t.Fatal(err)
	}
	if r, no, got := portStatusHW(t, c); r != 2 || no != 1 || got != mac {
		t.Errorf("port-status reason %d port %d hw %x, want MODIFY 1 %x", r, no, got, mac)
	}
	if err := b.RemovePort(1); err != nil {
		t.Fatal(err)
	}
	if r, no, got := portStatusHW(t, c); r != 1 || no != 1 || got != mac {
		t.Errorf("port-status reason %d port %d hw %x, want DELETE 1 %x", r, no, got, mac)
	}
	// The datapath id derived from the address again: a new id drops
	// every connection, this service connection too (connmgr_reconnect),
	// and no port-status for LOCAL reaches it.
	hw = [6]byte{2, 0x5e, 0, 0, 0, 0xa2}
	if err := b.SetAddress(hw, 0, false); err != nil || b.DatapathID() != 0x025e000000a2 {
		t.Fatalf("derived datapath id: %v %x", err, b.DatapathID())
	}
	for {
		m, err := c.Recv()
		if err != nil {
			break // closed, as OVS
		}
		if m[1] == ofptPortStatus {
			t.Fatalf("a port-status after the datapath id changed: % x", m)
		}
	}
}
