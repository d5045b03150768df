package bhttp

import "math"

// tail is what requests and responses share after their control data: a
// header section, content, a trailer section and padding.
type tail struct {
	header  Fields
	content []byte
	trailer Fields
	padding int
}

func (t *tail) check() error {
	if bad := checkFields(t.header); bad != nil {
		return &encodeError{"header section", bad}
	}
	if bad := checkFields(t.trailer); bad != nil {
		return &encodeError{"trailer section", bad}
	}
	if t.padding < 0 {
		return &encodeError{"padding", faultf(ErrNegativePadding, "padding %d is negative", t.padding)}
	}
	return nil
}

// size is the encoded size of the tail plus head bytes before it, or an
// error if that overflows an int; only padding can be big enough.
func (t *tail) size(framing Framing, head int) (int, error) {
	n := head + fieldSectionLen(framing, t.header) + contentLen(framing, t.content) +
		fieldSectionLen(framing, t.trailer)
	if t.padding > math.MaxInt-n {
		return 0, &encodeError{"padding", faultf(ErrTooLarge, "padding %d makes the message too large", t.padding)}
	}
	return n + t.padding, nil
}

// appendTo writes every section in full: truncation (RFC 9292 §3.8) is
// allowed, not required, and writing the sections keeps the output equal to
// the RFC's examples.
func (t *tail) appendTo(b []byte, framing Framing) []byte {
	b = appendFieldSection(b, framing, t.header)
	b = appendContent(b, framing, t.content)
	b = appendFieldSection(b, framing, t.trailer)
	b = append(b, make([]byte, t.padding)...)
	return b
}

// readTail decodes the sections after the control data. The message may
// stop where any of the three sections would start; RFC 9292 §3.8 says the
// missing sections then read as empty. Anything else that is cut short is
// ErrTruncated.
func (p *parser) readTail(framing Framing) (t tail, err error) {
	p.section = "header section"
	if p.atEnd() {
		return t, nil
	}
	if t.header, err = p.fieldSection(framing); err != nil {
		return t, err
	}
	p.section = "content"
	if p.atEnd() {
		return t, nil
	}
	if t.content, err = p.content(framing); err != nil {
		return t, err
	}
	p.section = "trailer section"
	if p.atEnd() {
		return t, nil
	}
	if t.trailer, err = p.fieldSection(framing); err != nil {
		return t, err
	}
	t.padding, err = p.padding()
	return t, err
}
