package statefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := Sections{"ct": []byte("table"), "bridge/br0": {}, "x": bytes.Repeat([]byte{7}, 1000)}
	if _, err := Write(dir, s, []string{"ct", "bridge/br0", "x"}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || string(got["ct"]) != "table" || len(got["bridge/br0"]) != 0 || !bytes.Equal(got["x"], s["x"]) {
		t.Fatalf("got %v", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("files left: %v", ents)
	}
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrNoState) {
		t.Fatalf("after Remove: %v", err)
	}
}

// TestBadFilesSetAside: a corrupt file, one of another version and one
// that is not a state file are refused with an error that says which,
// and kept aside; the next Load finds no state.
func TestBadFilesSetAside(t *testing.T) {
	good := Encode(Sections{"ct": []byte("table")}, []string{"ct"})
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-6] ^= 1
	other := bytes.Clone(good)
	binary.BigEndian.PutUint32(other[len(magic):], Version+1)
	other = append(other[:len(other)-4], binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(other[:len(other)-4]))...)
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"corrupt", corrupt, "checksum mismatch"},
		{"other version", other, "format version 2, this gswitch reads version 1"},
		{"not ours", []byte("hello, world, this is text"), "not a gswitch state file"},
		{"truncated", good[:len(good)-9], "checksum"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, Name), c.b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "kept as") {
			t.Errorf("%s: %v", c.name, err)
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 || !strings.HasPrefix(ents[0].Name(), Name+".bad-") {
			t.Errorf("%s: files %v", c.name, ents)
		}
		if _, err := Load(dir); !errors.Is(err, ErrNoState) {
			t.Errorf("%s: second load: %v", c.name, err)
		}
	}
}

// FuzzDecode: Decode never panics, and what it accepts encodes back to
// the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add(Encode(Sections{"ct": []byte("table"), "bridge/br0": []byte{1, 2}}, []string{"ct", "bridge/br0"}))
	f.Add(Encode(Sections{}, nil))
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Decode(b)
		if err != nil {
			return
		}
		// Sections are encoded in the order they came.
		var names []string
		p := b[len(magic)+8:]
		for range len(s) {
			names = append(names, string(p[1:1+p[0]]))
			l := binary.BigEndian.Uint64(p[1+p[0]:])
			p = p[1+int(p[0])+8+int(l):]
		}
		if got := Encode(s, names); !bytes.Equal(got, b) {
			t.Fatalf("re-encoded differently")
		}
	})
}
