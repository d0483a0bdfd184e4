package ovsdb

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits on what a peer may send: a message larger than MaxMessage bytes or
// nested deeper than maxDepth is a protocol error that drops the connection
// (ovsdb-server's own replies nest at most about ten deep).
const (
	DefaultMaxMessage = 64 << 20
	maxDepth          = 64
)

// ErrTooLarge and ErrTooDeep are the framing errors for hostile input.
var (
	ErrTooLarge = errors.New("ovsdb: message too large")
	ErrTooDeep  = errors.New("ovsdb: message nested too deep")
)

// message is one JSON-RPC 1.0 message as OVSDB uses it (RFC 7047 section
// 4): a request (method and id), a notification (method, id null) or a
// response (result or error, and the request's id).
type message struct {
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  json.RawMessage `json:"error,omitempty"`
	ID     json.RawMessage `json:"id,omitempty"`
}

// isNull reports whether raw JSON text is absent or null.
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// frameReader splits a byte stream into top-level JSON objects, the way
// OVSDB peers send them: back to back, with no delimiter. It tracks strings
// and escapes only, so it bounds size and depth before any JSON parser runs.
type frameReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

func newFrameReader(r io.Reader, max int) *frameReader {
	if max <= 0 {
		max = DefaultMaxMessage
	}
	return &frameReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// nestScanner follows JSON text byte by byte, strings and escapes only:
// enough to know how deep the text nests without parsing it.
type nestScanner struct {
	depth             int
	inString, escaped bool
}

// step advances over c and reports whether it opened (+1) or closed (-1) an
// object or array outside a string, or neither (0).
func (s *nestScanner) step(c byte) int {
	switch {
	case s.inString:
		switch {
		case s.escaped:
			s.escaped = false
		case c == '\\':
			s.escaped = true
		case c == '"':
			s.inString = false
		}
	case c == '"':
		s.inString = true
	case c == '{' || c == '[':
		s.depth++
		return 1
	case c == '}' || c == ']':
		s.depth--
		return -1
	}
	return 0
}

// next returns the next complete object's bytes, valid until the next call.
func (f *frameReader) next() ([]byte, error) {
	f.buf = f.buf[:0]
	var sc nestScanner
	for {
		c, err := f.r.ReadByte()
		if err != nil {
			if err == io.EOF && len(f.buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if sc.depth == 0 {
			switch c {
			case ' ', '\t', '\r', '\n':
				continue
			case '{':
			default:
				return nil, fmt.Errorf("ovsdb: message does not start with '{' (0x%02x)", c)
			}
		}
		if len(f.buf) >= f.max {
			return nil, ErrTooLarge
		}
		f.buf = append(f.buf, c)
		switch sc.step(c) {
		case 1:
			if sc.depth > maxDepth {
				return nil, ErrTooDeep
			}
		case -1:
			if sc.depth == 0 {
				return f.buf, nil
			}
			if sc.depth < 0 {
				return nil, errors.New("ovsdb: unbalanced message")
			}
		}
	}
}

// checkNesting fails if JSON text nests deeper than limit (strings aside).
func checkNesting(b []byte, limit int) error {
	var sc nestScanner
	for _, c := range b {
		if sc.step(c) == 1 && sc.depth > limit {
			return ErrTooDeep
		}
	}
	return nil
}

// decodeMessage parses one framed object into a message. It never panics.
func decodeMessage(b []byte) (*message, error) {
	if err := checkNesting(b, maxDepth); err != nil {
		return nil, err
	}
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("ovsdb: bad JSON-RPC message: %w", err)
	}
	if m.Method == "" && m.Result == nil && m.Error == nil {
		return nil, errors.New("ovsdb: JSON-RPC message with neither method nor result nor error")
	}
	return &m, nil
}

// rpcError is an error member of a JSON-RPC response, as ovsdb-server sends
// it ({"error": "...", "details": "..."} or a bare string).
type rpcError struct {
	Method  string
	Err     string
	Details string
}

func (e *rpcError) Error() string {
	s := "ovsdb: " + e.Method + ": " + e.Err
	if e.Details != "" {
		s += " (" + e.Details + ")"
	}
	return s
}

// parseRPCError turns a response's error member into a Go error.
func parseRPCError(method string, raw json.RawMessage) error {
	e := &rpcError{Method: method}
	var obj struct {
		Error   string `json:"error"`
		Details string `json:"details"`
	}
	var s string
	switch {
	case json.Unmarshal(raw, &obj) == nil && obj.Error != "":
		e.Err, e.Details = obj.Error, obj.Details
	case json.Unmarshal(raw, &s) == nil:
		e.Err = s
	default:
		e.Err = string(raw)
		if len(e.Err) > 200 {
			e.Err = e.Err[:200]
		}
	}
	return e
}
