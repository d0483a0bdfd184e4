package packet

import (
	"strings"
	"testing"
)

// TestPipelineFields checks Field.Pipeline against OVS 3.1's
// mf_is_pipeline_field (lib/meta-flow.c): the tunnel fields but tun_ttl
// and tun_tos, metadata, in_port, the registers in every view and
// packet_type; nothing else (ct_*, pkt_mark, dp_hash, actset_output, the
// headers).
func TestPipelineFields(t *testing.T) {
	ovs := map[string]bool{"tun_id": true, "tun_src": true, "tun_dst": true, "tun_ipv6_src": true,
		"tun_ipv6_dst": true, "tun_flags": true, "tun_gbp_id": true, "tun_gbp_flags": true,
		"tun_erspan_ver": true, "tun_erspan_idx": true, "tun_erspan_dir": true, "tun_erspan_hwid": true,
		"tun_gtpu_flags": true, "tun_gtpu_msgtype": true, "metadata": true, "in_port": true, "packet_type": true}
	for i := FieldID(1); i < NumFields; i++ {
		f := &Fields[i]
		want := ovs[f.Name]
		for _, p := range []string{"reg", "xreg", "xxreg"} {
			if rest, ok := strings.CutPrefix(f.Name, p); ok && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
				want = true
			}
		}
		if f.Pipeline != want {
			t.Errorf("%s: Pipeline %v, OVS %v", f.Name, f.Pipeline, want)
		}
	}
}
