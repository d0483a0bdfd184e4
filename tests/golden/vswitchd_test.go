package golden

import "testing"

func TestNormalizeVswitchd(t *testing.T) {
	raw := `### vsctl add-port br0 s5r-bad
ovs-vsctl: The default log directory is "/tmp/s5r-vsw.AbC123".
### exit 0
### ovs-vsctl show
87d6b9e2-e5da-4619-8c6c-055754125ed1
    Bridge br1
        Port s5r-pa1
            Interface s5r-pa1
                type: patch
        datapath_type: netdev
    Bridge br0
        datapath_type: netdev
### ovs-vsctl list Open_vSwitch
_uuid               : 87d6b9e2-e5da-4619-8c6c-055754125ed1
bridges             : [bbbbbbbb-0000-0000-0000-000000000000, aaaaaaaa-0000-0000-0000-000000000000]
### ovs-vsctl list Bridge
_uuid               : bbbbbbbb-0000-0000-0000-000000000000
datapath_id         : "00002a1feeaca247"
name                : br1

_uuid               : aaaaaaaa-0000-0000-0000-000000000000
datapath_id         : "00000000000000b1"
name                : br0
### ovs-vsctl list Interface
_uuid               : cccccccc-0000-0000-0000-000000000000
ifindex             : 12
mac_in_use          : "8e:0a:b3:41:bb:96"
name                : s5r-i0
statistics          : {collisions=0, rx_bytes=516}

_uuid               : dddddddd-0000-0000-0000-000000000000
ifindex             : 0
mac_in_use          : "02:5e:00:00:00:01"
name                : s5r-v0
statistics          : {}
### ovs-vsctl list Controller
_uuid               : eeeeeeee-0000-0000-0000-000000000000
status              : {sec_since_connect="3", state=ACTIVE}
target              : "tcp:127.0.0.1:18441"
### ovs-ofctl -O OpenFlow13 show br0
OFPT_FEATURES_REPLY (OF1.3) (xid=0x2): dpid:00002a1feeaca247
 LOCAL(br0): addr:2a:1f:ee:ac:a2:47
2026-12-07T05:22:44Z|00001|vconn|WARN|unix:T/br0.mgmt: version negotiation failed
ovs-ofctl: br0: failed to connect to socket (Broken pipe)
`
	want := `### vsctl add-port br0 s5r-bad
ovs-vsctl: The default log directory is "T".
### exit 0
### ovs-vsctl show
<Open_vSwitch>
    Bridge br0
        datapath_type: netdev
    Bridge br1
        Port s5r-pa1
            Interface s5r-pa1
                type: patch
        datapath_type: netdev
### ovs-vsctl list Open_vSwitch
_uuid               : <Open_vSwitch>
bridges             : [<Bridge:br0>, <Bridge:br1>]
### ovs-vsctl list Bridge
_uuid               : <Bridge:br0>
datapath_id         : "00000000000000b1"
name                : br0

_uuid               : <Bridge:br1>
datapath_id         : "DPID"
name                : br1
### ovs-vsctl list Interface
_uuid               : <Interface:s5r-i0>
ifindex             : X
mac_in_use          : "MAC"
name                : s5r-i0
statistics          : {collisions=X, rx_bytes=X}

_uuid               : <Interface:s5r-v0>
ifindex             : 0
mac_in_use          : "02:5e:00:00:00:01"
name                : s5r-v0
statistics          : {}
### ovs-vsctl list Controller
_uuid               : <Controller:tcp:127.0.0.1:18441>
status              : {sec_since_connect="X", state=ACTIVE}
target              : "tcp:127.0.0.1:18441"
### ovs-ofctl -O OpenFlow13 show br0
OFPT_FEATURES_REPLY (OF1.3) (xid=0x2): dpid:DPID
 LOCAL(br0): addr:MAC
TIME|00001|vconn|WARN|unix:T/br0.mgmt: version negotiation failed
ovs-ofctl: br0: failed to connect to socket (Protocol error)
`
	got := Normalize(KindVswitchd, raw)
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if again := Normalize(KindVswitchd, got); again != got {
		t.Errorf("not idempotent:\n%s", again)
	}
}
