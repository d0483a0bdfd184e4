package ofproto

import (
	"encoding/binary"

	"gswitch/pipeline"
)

// Meters: OpenFlow 1.3's OFPT_METER_MOD and the meter multipart requests
// (OVS's ofp-meter.c for the wire, ofproto.c for the answers).

const meterBandLen = 16 // every band type has ofp13_meter_band_drop's size

// decodeMeterMod decodes an ofp13_meter_mod (ofputil_decode_meter_mod): a
// delete carries no bands.
func decodeMeterMod(b []byte) (cmd uint16, spec *pipeline.MeterSpec, err error) {
	if len(b) < 16 {
		return 0, nil, errBadLen
	}
	cmd = binary.BigEndian.Uint16(b[8:])
	if cmd != pipeline.MeterAdd && cmd != pipeline.MeterModify && cmd != pipeline.MeterDelete {
		return 0, nil, pipeline.NewError(pipeline.OFPMMFC_BAD_COMMAND)
	}
	spec = &pipeline.MeterSpec{ID: binary.BigEndian.Uint32(b[12:])}
	if cmd == pipeline.MeterDelete {
		return cmd, spec, nil
	}
	spec.Flags = binary.BigEndian.Uint16(b[10:])
	if spec.Flags&pipeline.MeterKbps != 0 && spec.Flags&pipeline.MeterPktps != 0 {
		return 0, nil, pipeline.NewError(pipeline.OFPMMFC_BAD_FLAGS)
	}
	spec.Bands, err = decodeMeterBands(b[16:])
	if err != nil {
		return 0, nil, err
	}
	return cmd, spec, nil
}

// decodeMeterBands decodes ofp13_meter_band_* (ofputil_pull_bands).
func decodeMeterBands(b []byte) ([]pipeline.MeterBand, error) {
	var bands []pipeline.MeterBand
	for len(b) >= meterBandLen {
		if binary.BigEndian.Uint16(b[2:]) != meterBandLen {
			return nil, errBadLen
		}
		t := binary.BigEndian.Uint16(b)
		if t != pipeline.BandDrop && t != pipeline.BandDSCPRemark {
			return nil, pipeline.NewError(pipeline.OFPMMFC_BAD_BAND)
		}
		mb := pipeline.MeterBand{Type: t, Rate: binary.BigEndian.Uint32(b[4:]),
			BurstSize: binary.BigEndian.Uint32(b[8:])}
		if t == pipeline.BandDSCPRemark {
			mb.PrecLevel = b[12]
		}
		bands = append(bands, mb)
		b = b[meterBandLen:]
	}
	if len(b) != 0 {
		return nil, errBadLen
	}
	return bands, nil
}

func handleMeterMod(c *conn, _ *codec, _ Header, b []byte) error {
	cmd, spec, err := decodeMeterMod(b)
	if err != nil {
		return err
	}
	return c.srv.cfg.Datapath.MeterMod(cmd, spec, c.srv.now())
}

// encodeMeterConfig is one ofp13_meter_config with its bands, as the
// controller sent them.
func encodeMeterConfig(s *pipeline.MeterSpec) []byte {
	m := &msg{}
	m.u16(uint16(8 + meterBandLen*len(s.Bands))).u16(s.Flags).u32(s.ID)
	for _, b := range s.Bands {
		m.u16(b.Type).u16(meterBandLen).u32(b.Rate).u32(b.BurstSize).u8(b.PrecLevel).zeros(3)
	}
	return m.b
}

// encodeMeterStats is one ofp13_meter_stats with its band stats.
func encodeMeterStats(s *pipeline.MeterStats, now int64) []byte {
	m := &msg{}
	m.u32(s.Spec.ID).u16(uint16(40 + 16*len(s.Bands))).zeros(6)
	m.u32(s.FlowCount).u64(s.Packets).u64(s.Bytes)
	sec, nsec := durations(now, s.Created)
	m.u32(sec).u32(nsec)
	for _, b := range s.Bands {
		m.u64(b.Packets).u64(b.Bytes)
	}
	return m.b
}

// meterStats answers OFPMP_METER and OFPMP_METER_CONFIG: one meter, or
// every meter for OFPM_ALL; an unknown meter is OFPMMFC_UNKNOWN_METER.
func meterStats(c *conn, _ *codec, r *statsRequest) error {
	if len(r.body) != 8 {
		return errBadLen
	}
	ms, err := c.srv.cfg.Datapath.Meters(binary.BigEndian.Uint32(r.body))
	if err != nil {
		return err
	}
	w := c.newMPWriter(r.reply)
	for i := range ms {
		if r.typ == MPMeterConfig {
			w.add(encodeMeterConfig(&ms[i].Spec))
		} else {
			w.add(encodeMeterStats(&ms[i], r.now))
		}
	}
	w.finish()
	return nil
}

// meterFeaturesStats answers OFPMP_METER_FEATURES (ofp13_meter_features):
// OVS 3.1's userspace datapath's limits and flags; the band types are
// drop and, unlike OVS, dscp_remark.
func meterFeaturesStats(c *conn, _ *codec, r *statsRequest) error {
	if len(r.body) != 0 {
		return errBadLen
	}
	m := &msg{}
	m.u32(pipeline.MaxMeters).u32(pipeline.MeterBandTypes).u32(pipeline.MeterFlagsSupported)
	m.u8(pipeline.MaxMeterBands).u8(0).zeros(2)
	w := c.newMPWriter(r.reply)
	w.add(m.b)
	w.finish()
	return nil
}
