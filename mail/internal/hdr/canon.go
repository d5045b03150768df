package hdr

import (
	"bytes"
	"strings"
)

// Canon is a DKIM canonicalization algorithm (RFC 6376 §3.4).
type Canon string

const (
	Simple  Canon = "simple"
	Relaxed Canon = "relaxed"
)

// ParseCanon reads a c= value ("header/body", body defaulting to simple,
// the whole tag to simple/simple).
func ParseCanon(c string) (header, body Canon, ok bool) {
	if c == "" {
		return Simple, Simple, true
	}
	h, b, found := strings.Cut(c, "/")
	if !found {
		b = string(Simple)
	}
	header, body = Canon(strings.ToLower(h)), Canon(strings.ToLower(b))
	valid := func(c Canon) bool { return c == Simple || c == Relaxed }
	return header, body, valid(header) && valid(body)
}

// CanonHeader canonicalizes one field. Simple keeps it byte for byte;
// relaxed lowercases the name, unfolds, reduces runs of white space to one
// space and trims it around the colon and at the end.
func CanonHeader(f Field, c Canon) string {
	if c == Simple {
		return string(f)
	}
	name, value, _ := strings.Cut(string(f), ":")
	name = strings.ToLower(strings.TrimRight(name, " \t"))
	value = strings.ReplaceAll(value, "\r\n", "")
	var b strings.Builder
	b.Grow(len(name) + len(value) + 3)
	b.WriteString(name)
	b.WriteByte(':')
	space := false
	wrote := false
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space && wrote {
			b.WriteByte(' ')
		}
		space = false
		wrote = true
		b.WriteByte(c)
	}
	b.WriteString("\r\n")
	return b.String()
}

// CanonBody canonicalizes a body (CRLF line ends). Simple removes trailing
// empty lines and makes an empty body one CRLF; relaxed also drops white
// space at line ends, reduces inner runs to one space, and leaves an empty
// body empty.
func CanonBody(body []byte, c Canon) []byte {
	if c == Relaxed {
		var out bytes.Buffer
		out.Grow(len(body))
		for len(body) > 0 {
			line, rest, found := bytes.Cut(body, []byte("\r\n"))
			body = rest
			space := false
			for _, ch := range line {
				if ch == ' ' || ch == '\t' {
					space = true
					continue
				}
				if space {
					out.WriteByte(' ')
					space = false
				}
				out.WriteByte(ch)
			}
			if found || len(line) > 0 {
				out.WriteString("\r\n")
			}
		}
		body = out.Bytes()
	} else if len(body) > 0 && !bytes.HasSuffix(body, []byte("\r\n")) {
		body = append(append([]byte(nil), body...), '\r', '\n')
	}
	for bytes.HasSuffix(body, []byte("\r\n\r\n")) {
		body = body[:len(body)-2]
	}
	if c == Simple && (len(body) == 0 || bytes.Equal(body, []byte("\r\n"))) {
		return []byte("\r\n")
	}
	if c == Relaxed && bytes.Equal(body, []byte("\r\n")) {
		return nil
	}
	return body
}
