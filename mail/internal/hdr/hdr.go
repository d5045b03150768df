// Package hdr reads the header of an Internet message (RFC 5322) the way
// message signatures need it: fields kept byte for byte as they arrived, the
// tag=value lists of DKIM and ARC (RFC 6376 §3.2), the simple and relaxed
// canonicalizations (RFC 6376 §3.4) and the bottom-up choice of signed
// fields (RFC 6376 §5.4.2). DKIM and ARC both sign and verify through it, so
// the two cannot canonicalize differently.
package hdr

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Field is one header field exactly as it appeared, folding included, with
// its terminating CRLF.
type Field string

// Name is the field name, without surrounding white space.
func (f Field) Name() string {
	name, _, _ := strings.Cut(string(f), ":")
	return strings.TrimRight(name, " \t")
}

// Value is everything after the colon, folding and final CRLF included.
func (f Field) Value() string {
	_, v, _ := strings.Cut(string(f), ":")
	return v
}

// Is reports whether the field's name is name, ignoring case.
func (f Field) Is(name string) bool { return strings.EqualFold(f.Name(), name) }

// ErrMalformedHeader is wrapped by every error Split returns.
var ErrMalformedHeader = errors.New("hdr: malformed message header")

// Split cuts a message into its header fields and its body. Lines must end
// in CRLF; the body is what follows the first empty line (empty when the
// message has none). A line that is neither a field nor a continuation, or
// a bare CR or LF, is an error.
func Split(msg []byte) ([]Field, []byte, error) {
	var fields []Field
	rest := msg
	for len(rest) > 0 {
		i := bytes.Index(rest, []byte("\r\n"))
		if i < 0 {
			return nil, nil, fmt.Errorf("%w: line %d does not end in CRLF", ErrMalformedHeader, len(fields)+1)
		}
		line := rest[:i]
		if bytes.IndexByte(line, '\n') >= 0 || bytes.IndexByte(line, '\r') >= 0 {
			return nil, nil, fmt.Errorf("%w: bare CR or LF in field %d", ErrMalformedHeader, len(fields)+1)
		}
		if len(line) == 0 {
			return fields, rest[2:], nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(fields) == 0 {
				return nil, nil, fmt.Errorf("%w: message starts with a continuation line", ErrMalformedHeader)
			}
			fields[len(fields)-1] += Field(rest[:i+2])
		} else {
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 || strings.TrimRight(string(line[:colon]), " \t") == "" ||
				bytes.ContainsAny(bytes.TrimRight(line[:colon], " \t"), " \t") {
				return nil, nil, fmt.Errorf("%w: line %q is not a header field", ErrMalformedHeader, clip(line))
			}
			fields = append(fields, Field(rest[:i+2]))
		}
		rest = rest[i+2:]
	}
	return fields, nil, nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// Select picks the fields a signature's h= list names, in that order: each
// occurrence of a name takes the next field of that name from the bottom of
// the header upward, and a name with no field left contributes nothing (RFC
// 6376 §5.4.2), which is how a signer stops fields from being added later.
func Select(fields []Field, names []string) []Field {
	used := make(map[string]int)
	var out []Field
	for _, name := range names {
		key := strings.ToLower(strings.TrimSpace(name))
		skip := used[key]
		used[key]++
		for i := len(fields) - 1; i >= 0; i-- {
			if !fields[i].Is(key) {
				continue
			}
			if skip == 0 {
				out = append(out, fields[i])
				break
			}
			skip--
		}
	}
	return out
}

// Last returns the bottom-most field named name, if any.
func Last(fields []Field, name string) (Field, bool) {
	for i := len(fields) - 1; i >= 0; i-- {
		if fields[i].Is(name) {
			return fields[i], true
		}
	}
	return "", false
}
