package bhttp

// Field is one field line. Name must be lowercase: RFC 9292 takes HTTP/2's
// rule (RFC 9113 §8.2.1) that an uppercase name makes a message malformed,
// so encoding refuses one instead of quietly changing the caller's data.
// FromHTTPRequest and FromHTTPResponse lowercase names for you.
type Field struct {
	Name, Value string
}

// Fields is a header or trailer section in wire order. The order is kept
// because a repeated name's values combine in the order they appear
// (RFC 9110 §5.2).
type Fields []Field

// tchar marks the bytes allowed in a token (RFC 9110 §5.6.2), which field
// names and methods are.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func checkFieldName(name string) *fault {
	if name == "" {
		return faultf(ErrInvalidFieldName, "empty field name")
	}
	if name[0] == ':' {
		return faultf(ErrPseudoHeader, "pseudo-header field %q; control data carries it", clip(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			return faultf(ErrInvalidFieldName, "field name %q has uppercase letter %q", clip(name), c)
		}
		if !tchar[c] {
			return faultf(ErrInvalidFieldName, "field name %q has byte 0x%02x, not a token character", clip(name), c)
		}
	}
	return nil
}

// fieldVChar marks the bytes a field value may hold (RFC 9110 §5.5):
// visible ASCII, space, horizontal tab and obs-text (0x80-0xff); no other
// control character and no DEL.
var fieldVChar = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= ' ' && c != 0x7f || c == '\t'
	}
	return t
}()

// ValidFieldValue reports whether v may be a field value: only the bytes
// of RFC 9110 §5.5 and no leading or trailing space or tab. It is the rule
// this package decodes and encodes by, and what an intermediary should
// check before it turns a message back into HTTP/1.1: RFC 9113 §8.2.1
// demands only that NUL, CR and LF be refused, but net/http's client
// refuses every control character but tab, so a value that passed the
// looser rule would fail later, on the way out, as if the peer were at
// fault.
func ValidFieldValue(v string) bool { return badFieldValueByte(v) < 0 }

// badFieldValueByte is the offset of the first byte that breaks
// ValidFieldValue's rule, or -1.
func badFieldValueByte(v string) int {
	for i := 0; i < len(v); i++ {
		if !fieldVChar[v[i]] {
			return i
		}
	}
	if n := len(v); n > 0 && (isSpace(v[0]) || isSpace(v[n-1])) {
		if isSpace(v[0]) {
			return 0
		}
		return n - 1
	}
	return -1
}

func checkFieldValue(name, value string) *fault {
	i := badFieldValueByte(value)
	if i < 0 {
		return nil
	}
	if isSpace(value[i]) {
		return faultf(ErrInvalidFieldValue, "value of field %q starts or ends with whitespace", clip(name))
	}
	return faultf(ErrInvalidFieldValue, "value of field %q has byte 0x%02x at %d", clip(name), value[i], i)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func checkField(f Field) *fault {
	if bad := checkFieldName(f.Name); bad != nil {
		return bad
	}
	return checkFieldValue(f.Name, f.Value)
}

func checkFields(fs Fields) *fault {
	for _, f := range fs {
		if bad := checkField(f); bad != nil {
			return bad
		}
	}
	return nil
}

// linesLen is the encoded size of the field lines alone.
func linesLen(fs Fields) int {
	n := 0
	for _, f := range fs {
		n += stringLen(len(f.Name)) + stringLen(len(f.Value))
	}
	return n
}

func fieldSectionLen(framing Framing, fs Fields) int {
	n := linesLen(fs)
	if framing == KnownLength {
		return varintLen(uint64(n)) + n
	}
	return n + 1
}

func appendFieldSection(b []byte, framing Framing, fs Fields) []byte {
	if framing == KnownLength {
		b = appendVarint(b, uint64(linesLen(fs)))
	}
	for _, f := range fs {
		b = appendString(b, f.Name)
		b = appendString(b, f.Value)
	}
	if framing == IndeterminateLength {
		b = append(b, 0) // a zero name length ends the section
	}
	return b
}

// fieldSection decodes the field section at p.off.
func (p *parser) fieldSection(framing Framing) (Fields, error) {
	start, end := p.off, len(p.b)
	if framing == KnownLength {
		n, err := p.length("field section length")
		if err != nil {
			return nil, err
		}
		start, end = p.off, p.off+n
	}
	count, stop, err := p.scanFields(start, end, framing == IndeterminateLength)
	if err != nil {
		return nil, err
	}
	p.off = stop
	if count == 0 {
		return nil, nil
	}
	// One string for the whole section; names and values are slices of it.
	s := string(p.b[start:stop])
	fs := make(Fields, 0, count)
	for q := start; len(fs) < count; {
		at := q
		var f Field
		f.Name, q = cutString(p.b, s, start, q)
		f.Value, q = cutString(p.b, s, start, q)
		if bad := checkField(f); bad != nil {
			return nil, p.failWith(at, bad)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// cutString returns the length-prefixed string at b[q:], taken from s (a
// copy of b starting at base) so that it allocates nothing, and the offset
// after it. scanFields has already checked that it is all there.
func cutString(b []byte, s string, base, q int) (string, int) {
	v, n := readVarint(b[q:])
	q += n - base
	return s[q : q+int(v)], q + int(v) + base
}

// scanFields checks the structure of the field lines in p.b[start:end] and
// counts them. A known-length section must end exactly at end; an
// indeterminate-length one ends after its zero terminator. stop is the
// offset just past the section.
func (p *parser) scanFields(start, end int, terminated bool) (count, stop int, err error) {
	short := "field line runs past the end of the section"
	if terminated {
		short = "truncated field line"
	}
	for q := start; ; count++ {
		if !terminated && q == end {
			return count, q, nil
		}
		at := q
		nameLen, n := readVarint(p.b[q:end])
		if n == 0 {
			if q == end {
				return 0, 0, p.fail(at, ErrTruncated, "field section has no terminator")
			}
			return 0, 0, p.fail(at, ErrTruncated, "%s", short)
		}
		q += n
		if nameLen == 0 {
			if terminated {
				return count, q, nil
			}
			return 0, 0, p.fail(at, ErrInvalidFieldName, "empty field name")
		}
		if nameLen > uint64(end-q) {
			return 0, 0, p.fail(at, ErrTruncated, "%s", short)
		}
		q += int(nameLen)
		valueLen, n := readVarint(p.b[q:end])
		if n == 0 || valueLen > uint64(end-q-n) {
			return 0, 0, p.fail(at, ErrTruncated, "%s", short)
		}
		q += n + int(valueLen)
	}
}
