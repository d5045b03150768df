package bhttp

import "slices"

// InformationalResponse is an interim (1xx) response that precedes the
// final one, such as 103 Early Hints.
type InformationalResponse struct {
	Status int
	Header Fields
}

// Response is a binary HTTP response (RFC 9292 §3.5).
type Response struct {
	Framing       Framing
	Informational []InformationalResponse
	Status        int // the final status, 200-599

	Header  Fields
	Content []byte
	Trailer Fields

	// Padding is the number of zero bytes after the message: how many to
	// add when encoding, how many there were when decoding.
	Padding int
}

func (r *Response) tail() tail {
	return tail{header: r.Header, content: r.Content, trailer: r.Trailer, padding: r.Padding}
}

func (r *Response) check() error {
	if bad := checkFraming(r.Framing); bad != nil {
		return &encodeError{"framing indicator", bad}
	}
	for _, info := range r.Informational {
		if bad := checkInformationalStatus(info.Status); bad != nil {
			return &encodeError{"informational response", bad}
		}
		if bad := checkFields(info.Header); bad != nil {
			return &encodeError{"informational header section", bad}
		}
	}
	if bad := checkFinalStatus(r.Status); bad != nil {
		return &encodeError{"control data", bad}
	}
	t := r.tail()
	return t.check()
}

// MarshalBinary encodes r, with one allocation.
func (r *Response) MarshalBinary() ([]byte, error) {
	return r.AppendBinary(nil)
}

// AppendBinary appends the encoding of r to b. If r is not a valid message
// it returns b unchanged and an error wrapping one of the Err* sentinels.
func (r *Response) AppendBinary(b []byte) ([]byte, error) {
	if err := r.check(); err != nil {
		return b, err
	}
	ind := indicator(r.Framing, responseKind)
	head := varintLen(ind) + varintLen(uint64(r.Status))
	for _, info := range r.Informational {
		head += varintLen(uint64(info.Status)) + fieldSectionLen(r.Framing, info.Header)
	}
	t := r.tail()
	size, err := t.size(r.Framing, head)
	if err != nil {
		return b, err
	}
	out := slices.Grow(b, size)
	out = appendVarint(out, ind)
	for _, info := range r.Informational {
		out = appendVarint(out, uint64(info.Status))
		out = appendFieldSection(out, r.Framing, info.Header)
	}
	out = appendVarint(out, uint64(r.Status))
	return t.appendTo(out, r.Framing), nil
}

// ParseResponse decodes a binary HTTP response. The result does not alias b.
// Errors are *ParseError values wrapping one of the Err* sentinels.
func ParseResponse(b []byte) (*Response, error) {
	p := &parser{b: b}
	framing, err := p.framing(responseKind)
	if err != nil {
		return nil, err
	}
	r := &Response{Framing: framing}
	// Informational responses repeat until a final status; each takes at
	// least two bytes, so their number is bounded by the input.
	for {
		p.section = "control data"
		at := p.off
		v, err := p.varint("status code")
		if err != nil {
			return nil, err
		}
		if v >= 100 && v <= 199 {
			p.section = "informational header section"
			if p.atEnd() {
				return nil, p.fail(p.off, ErrTruncated, "no final response")
			}
			h, err := p.fieldSection(framing)
			if err != nil {
				return nil, err
			}
			r.Informational = append(r.Informational, InformationalResponse{Status: int(v), Header: h})
			continue
		}
		if v < 200 || v > 599 {
			return nil, p.fail(at, ErrInvalidStatus, "status %d is neither informational (100-199) nor final (200-599)", v)
		}
		r.Status = int(v)
		break
	}
	t, err := p.readTail(framing)
	if err != nil {
		return nil, err
	}
	r.Header, r.Content, r.Trailer, r.Padding = t.header, t.content, t.trailer, t.padding
	return r, nil
}
