package ofproto

import (
	"reflect"
	"testing"
)

// TestCodecsComplete: every codec in codecs has every decoder and encoder,
// except the decoders of requests its version lacks, and a handler for
// every request kind it maps; so a new version's codec cannot leave a
// handler without its wire format.
func TestCodecsComplete(t *testing.T) {
	// The decoders needed only for one request kind.
	onlyFor := map[string]msgKind{
		"decodeGroupMod":    kindGroupMod,
		"decodeRoleRequest": kindRoleRequest,
	}
	for v, cd := range codecs {
		if cd == nil {
			continue
		}
		if int(cd.version) != v {
			t.Errorf("codecs[%d] is version %d", v, cd.version)
		}
		has := map[msgKind]bool{}
		for typ, k := range cd.requests {
			if k == kindNone {
				continue
			}
			has[k] = true
			if int(k) >= len(requestHandlers) || requestHandlers[k].fn == nil {
				t.Errorf("version %d: type %d is kind %d, which has no handler", v, typ, k)
			}
		}
		rv := reflect.ValueOf(cd).Elem()
		for i := 0; i < rv.NumField(); i++ {
			f, name := rv.Field(i), rv.Type().Field(i).Name
			if f.Kind() != reflect.Func && f.Kind() != reflect.Map {
				continue
			}
			if k, ok := onlyFor[name]; ok && !has[k] {
				continue
			}
			if f.IsNil() {
				t.Errorf("version %d: codec.%s is nil", v, name)
			}
		}
		for typ, h := range cd.stats {
			if h == nil {
				t.Errorf("version %d: stats type %d has a nil handler", v, typ)
			}
		}
	}
	if bm := versionBitmap(); bm != 1<<Version10|1<<Version13 {
		t.Errorf("version bitmap %#x", bm)
	}
}
