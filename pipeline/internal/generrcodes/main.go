// Command generrcodes writes pipeline/errcodes.go, the table of OpenFlow
// errors, from Open vSwitch's list of them: include/openvswitch/ofp-errors.h
// (the errors, each with a comment giving its numbers per OpenFlow version)
// and include/openflow/openflow-common.h (the vendor IDs those numbers name).
// It reads that list as OVS's build-aux/extract-ofp-errors does, keeping the
// numbers of OpenFlow 1.0 and 1.3, the two versions gswitch speaks.
//
// Run it from the pipeline directory with a checkout of OVS 3.1 (the
// go:generate line in errors.go does this):
//
//	OVS_SRC=path/to/ovs go generate
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

func main() {
	out := flag.String("o", "errcodes.go", "output `file`")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: generrcodes [-o file] ovs-source-dir\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || flag.Arg(0) == "" {
		flag.Usage()
		os.Exit(2)
	}
	src, err := generate(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// wire is one error's numbers in one OpenFlow version: vendor 0 for a
// standard error, the vendor ID for an extension one; none if the version
// has no number for the error.
type wire struct {
	vendor    uint32
	typ, code int
	none      bool
}

// ofpError is one error of ofp-errors.h.
type ofpError struct {
	name             string // without OFPERR_
	dsts             string // the numbers as the comment gives them, e.g. "NX1.0(1,512), OF1.1+(1,9)"
	of10, of13, of15 wire
}

// generate returns the Go source of errcodes.go for the OVS tree at ovs.
func generate(ovs string) ([]byte, error) {
	vendors, err := readVendors(filepath.Join(ovs, "include/openflow/openflow-common.h"))
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(ovs, "include/openvswitch/ofp-errors.h"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	errs, err := readErrors(f, vendors)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return render(errs)
}

var vendorRE = regexp.MustCompile(`^#define\s+([A-Z0-9_]+)_VENDOR_ID\s+(0x[0-9a-fA-F]+|[0-9]+)`)

// readVendors returns the vendor IDs defined in openflow-common.h by name
// ("OF", "NX", "ONF", ...).
func readVendors(path string) (map[string]uint32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]uint32{}
	for _, l := range strings.Split(string(b), "\n") {
		if sm := vendorRE.FindStringSubmatch(l); sm != nil {
			id, err := strconv.ParseUint(sm[2], 0, 32)
			if err != nil {
				return nil, err
			}
			m[sm[1]] = uint32(id)
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%s: no vendor IDs", path)
	}
	return m, nil
}

// OpenFlow versions as ofp_header numbers them.
var versions = map[string]int{"1.0": 1, "1.1": 2, "1.2": 3, "1.3": 4, "1.4": 5, "1.5": 6}

const (
	maxVersion = 6
	v10        = 1
	v13        = 4
	v15        = 6
)

var (
	enumRE = regexp.MustCompile(`^\s+OFPERR_([A-Z0-9_]+)(\s*=\s*OFPERR_OFS)?,`)
	dstRE  = regexp.MustCompile(`^([A-Z]+)([0-9.]+)(\+|-[0-9.]+)?\((\d+)(?:,(\d+))?\)$`)
)

// readErrors reads the errors of enum ofperr in order. Each is an indented
// comment whose first sentence lists its numbers ("OF1.0+(1,1).  ..."),
// then the line OFPERR_NAME. Unindented comments head sections; comments
// starting "Expected:" note duplicates OVS allows.
func readErrors(r io.Reader, vendors map[string]uint32) ([]ofpError, error) {
	sc := bufio.NewScanner(r)
	line := 0
	next := func() (string, bool) {
		ok := sc.Scan()
		line++
		return sc.Text(), ok
	}
	for {
		l, ok := next()
		if !ok {
			return nil, fmt.Errorf("no enum ofperr")
		}
		if strings.HasPrefix(l, "enum ofperr") {
			break
		}
	}
	var errs []ofpError
	for {
		l, ok := next()
		if !ok {
			return nil, fmt.Errorf("enum ofperr does not end")
		}
		if strings.HasPrefix(l, "/*") || strings.TrimSpace(l) == "" {
			continue
		}
		if strings.HasPrefix(l, "}") {
			break
		}
		t := strings.TrimLeft(l, " \t")
		if !strings.HasPrefix(t, "/*") {
			return nil, fmt.Errorf("line %d: expected a comment", line)
		}
		comment := strings.TrimSpace(t[2:])
		for !strings.HasSuffix(comment, "*/") {
			l, ok := next()
			if !ok || strings.HasPrefix(l, "/*") || strings.TrimSpace(l) == "" {
				return nil, fmt.Errorf("line %d: comment does not end", line)
			}
			comment += " " + strings.TrimRight(strings.TrimLeft(l, "* \t"), " \t\r")
		}
		comment = strings.TrimSpace(strings.TrimSuffix(comment, "*/"))
		if strings.HasPrefix(comment, "Expected: ") {
			continue
		}
		dot := strings.Index(comment, ".  ")
		if dot < 0 {
			return nil, fmt.Errorf("line %d: no numbers in %q", line, comment)
		}
		l, _ = next()
		sm := enumRE.FindStringSubmatch(l)
		if sm == nil {
			return nil, fmt.Errorf("line %d: expected OFPERR_ name", line)
		}
		e := ofpError{name: sm[1], dsts: comment[:dot]}
		var by [maxVersion + 1]wire
		for i := range by {
			by[i].none = true
		}
		for _, dst := range strings.Split(e.dsts, ", ") {
			dm := dstRE.FindStringSubmatch(dst)
			if dm == nil {
				return nil, fmt.Errorf("line %d: %q: bad numbers", line, dst)
			}
			vendor, ok := vendors[dm[1]]
			if !ok {
				return nil, fmt.Errorf("line %d: %q: unknown vendor", line, dst)
			}
			v1, ok := versions[dm[2]]
			if !ok {
				return nil, fmt.Errorf("line %d: %q: unknown version", line, dst)
			}
			v2 := v1
			switch {
			case dm[3] == "+":
				v2 = maxVersion
			case dm[3] != "":
				if v2, ok = versions[dm[3][1:]]; !ok || v2 < v1 {
					return nil, fmt.Errorf("line %d: %q: bad version range", line, dst)
				}
			}
			typ, _ := strconv.Atoi(dm[4])
			code, _ := strconv.Atoi(dm[5]) // 0 when absent, as OVS has it
			for v := v1; v <= v2; v++ {
				if !by[v].none {
					return nil, fmt.Errorf("line %d: %s has two numbers in one version", line, e.name)
				}
				by[v] = wire{vendor: vendor, typ: typ, code: code}
			}
		}
		e.of10, e.of13, e.of15 = by[v10], by[v13], by[v15]
		errs = append(errs, e)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("no errors in enum ofperr")
	}
	return errs, nil
}

func (w wire) String() string {
	if w.none {
		return "ErrorWire{None: true}"
	}
	return fmt.Sprintf("ErrorWire{%#x, %d, %d, false}", w.vendor, w.typ, w.code)
}

// render writes errcodes.go.
func render(errs []ofpError) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`// Code generated by generrcodes from Open vSwitch 3.1 include/openvswitch/ofp-errors.h; DO NOT EDIT.

package pipeline

// The OpenFlow errors Open vSwitch knows, named as in its ofp-errors.h
// without the OFPERR_ prefix, in that file's order. The comments give the
// numbers as that file does: per vendor (OF standard, NX Nicira, ONF) and
// OpenFlow version, (type,code), or (exp_type) for OpenFlow 1.2+ extension
// errors.
const (
`)
	for i, e := range errs {
		if i == 0 {
			fmt.Fprintf(&b, "\t%s ErrorCode = iota // %s\n", e.name, e.dsts)
		} else {
			fmt.Fprintf(&b, "\t%s // %s\n", e.name, e.dsts)
		}
	}
	b.WriteString(`
	numErrorCodes
)

// errorCodes gives each ErrorCode its name and its numbers in OpenFlow 1.0,
// 1.3 and 1.5 (see ErrorWire).
var errorCodes = [numErrorCodes]errorCodeInfo{
`)
	for _, e := range errs {
		fmt.Fprintf(&b, "\t%s: {%q, %v, %v, %v},\n", e.name, e.name, e.of10, e.of13, e.of15)
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
