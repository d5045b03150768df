package bhttp

import "slices"

// Request is a binary HTTP request (RFC 9292 §3.4).
type Request struct {
	Framing Framing

	// Control data: the HTTP/2 :method, :scheme, :authority and :path.
	// Authority may be empty, in which case a host field names the target.
	Method, Scheme, Authority, Path string

	Header  Fields
	Content []byte
	Trailer Fields

	// Padding is the number of zero bytes after the message: how many to
	// add when encoding, how many there were when decoding.
	Padding int
}

func (r *Request) tail() tail {
	return tail{header: r.Header, content: r.Content, trailer: r.Trailer, padding: r.Padding}
}

func (r *Request) check() error {
	if bad := checkFraming(r.Framing); bad != nil {
		return &encodeError{"framing indicator", bad}
	}
	for _, bad := range r.controlFaults() {
		if bad != nil {
			return &encodeError{"control data", bad}
		}
	}
	t := r.tail()
	return t.check()
}

// controlFaults checks the control data, one result per string in wire
// order (method, scheme, authority, path), so that encoding and decoding
// apply the same rules.
func (r *Request) controlFaults() [4]*fault {
	return [4]*fault{
		checkMethod(r.Method),
		checkScheme(r.Scheme),
		checkAuthority(r.Authority),
		checkPath(r.Scheme, r.Path),
	}
}

// MarshalBinary encodes r, with one allocation.
func (r *Request) MarshalBinary() ([]byte, error) {
	return r.AppendBinary(nil)
}

// AppendBinary appends the encoding of r to b. If r is not a valid message
// it returns b unchanged and an error wrapping one of the Err* sentinels.
func (r *Request) AppendBinary(b []byte) ([]byte, error) {
	if err := r.check(); err != nil {
		return b, err
	}
	ind := indicator(r.Framing, requestKind)
	head := varintLen(ind) + stringLen(len(r.Method)) + stringLen(len(r.Scheme)) +
		stringLen(len(r.Authority)) + stringLen(len(r.Path))
	t := r.tail()
	size, err := t.size(r.Framing, head)
	if err != nil {
		return b, err
	}
	out := slices.Grow(b, size)
	out = appendVarint(out, ind)
	out = appendString(out, r.Method)
	out = appendString(out, r.Scheme)
	out = appendString(out, r.Authority)
	out = appendString(out, r.Path)
	return t.appendTo(out, r.Framing), nil
}

// ParseRequest decodes a binary HTTP request. The result does not alias b.
// Errors are *ParseError values wrapping one of the Err* sentinels.
func ParseRequest(b []byte) (*Request, error) {
	p := &parser{b: b}
	framing, err := p.framing(requestKind)
	if err != nil {
		return nil, err
	}
	r := &Request{Framing: framing}
	if err := p.requestControl(r); err != nil {
		return nil, err
	}
	t, err := p.readTail(framing)
	if err != nil {
		return nil, err
	}
	r.Header, r.Content, r.Trailer, r.Padding = t.header, t.content, t.trailer, t.padding
	return r, nil
}

// requestControl decodes the four length-prefixed control data strings from
// one copy of their bytes.
func (p *parser) requestControl(r *Request) error {
	p.section = "control data"
	labels := [4]string{"method length", "scheme length", "authority length", "path length"}
	var at, off, n [4]int
	start := p.off
	for i, label := range labels {
		at[i] = p.off
		l, err := p.length(label)
		if err != nil {
			return err
		}
		off[i], n[i] = p.off-start, l
		p.off += l
	}
	s := string(p.b[start:p.off])
	get := func(i int) string { return s[off[i] : off[i]+n[i]] }
	r.Method, r.Scheme, r.Authority, r.Path = get(0), get(1), get(2), get(3)
	for i, bad := range r.controlFaults() {
		if bad != nil {
			return p.failWith(at[i], bad)
		}
	}
	return nil
}
