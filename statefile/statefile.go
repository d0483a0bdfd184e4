// Package statefile is the file gswitch --state-dir keeps its state in
// across a restart: named sections (each package encodes its own: ct's
// table, each bridge's flows) behind a magic, a format version and a
// CRC-32 over everything, written atomically (a temporary file, fsync,
// rename, fsync of the directory). A file that is corrupt or of another
// version is refused whole with an error that says so, and renamed aside
// so that the next start is clean.
package statefile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"time"
)

// Name is the state file's name in its directory.
const Name = "gswitch.state"

// Version is the format version this build writes and reads. Bump it when
// a section's encoding changes incompatibly.
const Version = 1

const magic = "GSWSTATE"

// Limits of what Decode accepts.
const (
	maxSections = 1024
	maxName     = 255
)

// ErrNoState is returned by Load when the directory holds no state file.
var ErrNoState = errors.New("statefile: no saved state")

// Sections are named payloads.
type Sections map[string][]byte

// Encode returns the file's bytes: magic, version, the section count, each
// section (name length, name, data length, data), then the CRC-32 (IEEE)
// of all that precedes it.
func Encode(s Sections, names []string) []byte {
	b := append([]byte(nil), magic...)
	b = binary.BigEndian.AppendUint32(b, Version)
	b = binary.BigEndian.AppendUint32(b, uint32(len(names)))
	for _, n := range names {
		b = append(b, byte(len(n)))
		b = append(b, n...)
		b = binary.BigEndian.AppendUint64(b, uint64(len(s[n])))
		b = append(b, s[n]...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// Decode checks and splits what Encode returned.
func Decode(b []byte) (Sections, error) {
	if len(b) < len(magic)+12 || string(b[:len(magic)]) != magic {
		return nil, errors.New("statefile: not a gswitch state file")
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errors.New("statefile: checksum mismatch (the file is corrupt)")
	}
	if v := binary.BigEndian.Uint32(body[len(magic):]); v != Version {
		return nil, fmt.Errorf("statefile: format version %d, this gswitch reads version %d", v, Version)
	}
	n := binary.BigEndian.Uint32(body[len(magic)+4:])
	if n > maxSections {
		return nil, fmt.Errorf("statefile: %d sections", n)
	}
	p := body[len(magic)+8:]
	s := make(Sections, n)
	for range n {
		if len(p) < 1 || len(p) < 1+int(p[0])+8 {
			return nil, errors.New("statefile: truncated section")
		}
		name := string(p[1 : 1+p[0]])
		p = p[1+int(p[0]):]
		l := binary.BigEndian.Uint64(p)
		p = p[8:]
		if l > uint64(len(p)) {
			return nil, errors.New("statefile: truncated section")
		}
		if _, dup := s[name]; dup {
			return nil, fmt.Errorf("statefile: section %q twice", name)
		}
		s[name] = p[:l:l]
		p = p[l:]
	}
	if len(p) != 0 {
		return nil, errors.New("statefile: bytes after the last section")
	}
	return s, nil
}

// Write stores s in dir atomically: a temporary file in dir, fsync,
// rename over Name, fsync of dir. names gives the sections' order.
func Write(dir string, s Sections, names []string) (int, error) {
	for _, n := range names {
		if len(n) == 0 || len(n) > maxName {
			return 0, fmt.Errorf("statefile: bad section name %q", n)
		}
	}
	b := Encode(s, names)
	f, err := os.CreateTemp(dir, Name+".tmp*")
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, Name))
	}
	if err != nil {
		os.Remove(tmp)
		return 0, err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return len(b), nil
}

// Load reads and checks dir's state file. Without one it returns
// ErrNoState. A file that does not decode is renamed aside (Name plus
// ".bad-" and the time) and the error names both the problem and where
// the file went; the caller starts clean.
func Load(dir string) (Sections, error) {
	path := filepath.Join(dir, Name)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoState
	}
	if err != nil {
		return nil, err
	}
	s, err := Decode(b)
	if err != nil {
		return nil, Aside(dir, err)
	}
	return s, nil
}

// Aside renames dir's state file aside after err (the file decoded but a
// section did not load, or Decode failed) and returns err with where the
// file went.
func Aside(dir string, err error) error {
	path := filepath.Join(dir, Name)
	aside := path + ".bad-" + time.Now().UTC().Format("20060102T150405.000000000")
	if rerr := os.Rename(path, aside); rerr != nil {
		return fmt.Errorf("%w (and it could not be set aside: %v)", err, rerr)
	}
	return fmt.Errorf("%w; the file is kept as %s", err, aside)
}

// Remove deletes dir's state file once it is loaded: a later crash must
// not restore an old state.
func Remove(dir string) error {
	err := os.Remove(filepath.Join(dir, Name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
