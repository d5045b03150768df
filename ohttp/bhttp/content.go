package bhttp

func contentLen(framing Framing, c []byte) int {
	if framing == KnownLength {
		return stringLen(len(c))
	}
	if len(c) == 0 {
		return 1
	}
	return stringLen(len(c)) + 1
}

// appendContent writes indeterminate-length content as a single chunk:
// chunk boundaries carry no meaning (RFC 9292 §5.2), and one chunk is smallest.
func appendContent(b []byte, framing Framing, c []byte) []byte {
	if framing == KnownLength || len(c) > 0 {
		b = appendVarint(b, uint64(len(c)))
		b = append(b, c...)
	}
	if framing == IndeterminateLength {
		b = append(b, 0) // the zero-length chunk that ends the content
	}
	return b
}

// content decodes the content at p.off into a new slice that does not alias
// the input; empty content decodes as nil.
func (p *parser) content(framing Framing) ([]byte, error) {
	if framing == KnownLength {
		n, err := p.length("content length")
		if err != nil || n == 0 {
			return nil, err
		}
		c := make([]byte, n)
		copy(c, p.b[p.off:])
		p.off += n
		return c, nil
	}
	// Measure the chunks first so that the content is allocated once.
	total := 0
	q := p.off
	for {
		at := q
		n, k := readVarint(p.b[q:])
		if k == 0 {
			return nil, p.fail(at, ErrTruncated, "content has no terminating zero-length chunk")
		}
		q += k
		if n == 0 {
			break
		}
		if rest := len(p.b) - q; n > uint64(rest) {
			return nil, p.fail(at, ErrTruncated, "chunk length %d exceeds the %d bytes left", n, rest)
		}
		q += int(n)
		total += int(n)
	}
	if total == 0 {
		p.off = q
		return nil, nil
	}
	c := make([]byte, 0, total)
	for {
		n, k := readVarint(p.b[p.off:])
		p.off += k
		if n == 0 {
			return c, nil
		}
		c = append(c, p.b[p.off:p.off+int(n)]...)
		p.off += int(n)
	}
}
