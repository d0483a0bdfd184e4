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

// next returns the next complete object's bytes, valid until the next call.
func (f *frameReader) next() ([]byte, error) {
	f.buf = f.buf[:0]
	depth := 0
	inString, escaped := false, false
	for {
		c, err := f.r.ReadByte()
		if err != nil {
			if err == io.EOF && len(f.buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if depth == 0 {
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
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > maxDepth {
				return nil, ErrTooDeep
			}
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return f.buf, nil
			}
			if depth < 0 {
				return nil, errors.New("ovsdb: unbalanced message")
			}
		}
	}
}

// checkNesting fails if JSON text nests deeper than limit (strings aside).
func checkNesting(b []byte, limit int) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > limit {
				return ErrTooDeep
			}
		case c == '}' || c == ']':
			depth--
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
