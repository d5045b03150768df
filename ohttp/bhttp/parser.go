package bhttp

import "fmt"

// parser walks an input once, front to back. Each section is read in two
// passes: the first checks its structure and measures it, the second copies
// it out with one allocation per section rather than one per field. Every
// length is compared with what remains before it is used, so a prefix that
// claims 2^62 bytes costs nothing.
type parser struct {
	b       []byte
	off     int
	section string
}

func (p *parser) atEnd() bool { return p.off == len(p.b) }

func (p *parser) fail(at int, err error, format string, args ...any) error {
	return &ParseError{Offset: at, Section: p.section, Err: err, Detail: fmt.Sprintf(format, args...)}
}

func (p *parser) failWith(at int, f *fault) error {
	return &ParseError{Offset: at, Section: p.section, Err: f.err, Detail: f.detail}
}

func (p *parser) varint(what string) (uint64, error) {
	v, n := readVarint(p.b[p.off:])
	if n == 0 {
		return 0, p.fail(p.off, ErrTruncated, "truncated %s", what)
	}
	p.off += n
	return v, nil
}

// length reads a length prefix and checks that that many bytes follow.
func (p *parser) length(what string) (int, error) {
	at := p.off
	v, err := p.varint(what)
	if err != nil {
		return 0, err
	}
	if rest := len(p.b) - p.off; v > uint64(rest) {
		return 0, p.fail(at, ErrTruncated, "%s %d exceeds the %d bytes left", what, v, rest)
	}
	return int(v), nil
}

// framing reads the framing indicator and checks it announces want.
func (p *parser) framing(want kind) (Framing, error) {
	p.section = "framing indicator"
	if p.atEnd() {
		return 0, p.fail(0, ErrTruncated, "empty message")
	}
	v, err := p.varint("framing indicator")
	if err != nil {
		return 0, err
	}
	if v > 3 {
		return 0, p.fail(0, ErrUnknownFraming, "framing indicator %d is not 0-3", v)
	}
	if got := kind(v & 1); got != want {
		return 0, p.fail(0, ErrWrongKind, "framing indicator %d is for a %v, not a %v", v, got, want)
	}
	return Framing(v >> 1), nil
}

// padding checks that only zero bytes remain and counts them.
func (p *parser) padding() (int, error) {
	p.section = "padding"
	rest := p.b[p.off:]
	for i, c := range rest {
		if c != 0 {
			return 0, p.fail(p.off+i, ErrNonZeroPadding, "byte 0x%02x after the end of the message", c)
		}
	}
	p.off = len(p.b)
	return len(rest), nil
}
