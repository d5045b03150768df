package smtp

// maxTextLine is RFC 5321 §4.5.3.1.6's text line: 1000 octets with CRLF.
const maxTextLine = 998

// ContentScanner reads message content as it arrives, in pieces of any
// size: DATA's dot-stuffed lines up to CRLF "." CRLF (RFC 5321 §4.5.2), or
// the raw octets of BDAT chunks (RFC 3030). It removes the stuffing,
// stores the content up to a size limit, and notes every fault rather than
// stopping at the first, so that the message is consumed to its real end
// and refused as a whole.
//
// Only CRLF ends a line. A bare LF or a bare CR is content (and a fault),
// never a line end: a dot after it is an ordinary octet, so no variant of
// "<LF>.<LF>", "<CR>.<CR>", "<LF>.<CR><LF>" or "<CR><LF>.<LF>" can end the
// data early and turn what follows into commands.
type ContentScanner struct {
	// Stuffed selects DATA (dot-stuffed, ends at CRLF.CRLF); otherwise the
	// scanner is fed BDAT chunks and never ends by itself.
	Stuffed bool
	// Max is the most content octets kept; more are counted and dropped.
	Max int64

	body    []byte
	size    int64
	midLine bool // not at the start of a line
	dot     bool // the line so far is a single leading "."
	cr      bool // the previous octet was a CR not yet known to start CRLF
	lineLen int

	BareCR, BareLF, NUL, LongLine, EightBit bool

	// bareLFEnds is the seeded bug Bugs.BareLFEndOfData.
	bareLFEnds bool
}

// Reset readies the scanner for a new message, keeping its buffer.
func (s *ContentScanner) Reset(stuffed bool, max int64) {
	*s = ContentScanner{Stuffed: stuffed, Max: max, body: s.body[:0]}
}

// Body is the content so far, unstuffed, CRLF line ends kept.
func (s *ContentScanner) Body() []byte { return s.body }

// Size is the number of content octets seen, kept or not.
func (s *ContentScanner) Size() int64 { return s.size }

// TooBig reports content over Max.
func (s *ContentScanner) TooBig() bool { return s.size > s.Max }

// Finish ends BDAT content: a CR left pending at the very end is bare.
func (s *ContentScanner) Finish() {
	if s.cr {
		s.BareCR = true
		s.cr = false
		s.emit1('\r')
	}
}

// Fault is the reply for the first fault found in finished content, or
// the zero Reply if the content is acceptable.
func (s *ContentScanner) Fault() Reply {
	switch {
	case s.TooBig():
		return reply(552, EnhancedCode{5, 3, 4}, "message exceeds fixed maximum message size")
	case s.BareCR || s.BareLF:
		return reply(554, EnhancedCode{5, 5, 2}, "bare CR or LF in message data; lines must end with CRLF (RFC 5321 §2.3.8)")
	case s.NUL:
		return reply(554, EnhancedCode{5, 5, 2}, "NUL in message data")
	case s.LongLine:
		return reply(500, EnhancedCode{5, 5, 2}, "line too long: text lines are limited to 1000 octets with CRLF")
	}
	return Reply{}
}

func (s *ContentScanner) emit(p []byte) {
	n := int64(len(p))
	if room := s.Max - s.size; room > 0 {
		if n <= room {
			s.body = append(s.body, p...)
		} else {
			s.body = append(s.body, p[:room]...)
		}
	}
	s.size += n
}

func (s *ContentScanner) emit1(c byte) {
	if s.size < s.Max {
		s.body = append(s.body, c)
	}
	s.size++
}

// Feed consumes p. For DATA it stops at the end of the data and returns
// how many octets of p it took and true; otherwise it takes all of p.
func (s *ContentScanner) Feed(p []byte) (n int, done bool) {
	for i := 0; i < len(p); {
		c := p[i]
		if s.cr {
			s.cr = false
			if c == '\n' {
				i++
				if s.Stuffed && s.dot && s.lineLen == 1 {
					return i, true
				}
				s.emit(crlf)
				s.midLine, s.dot, s.lineLen = false, false, 0
				continue
			}
			s.BareCR = true
			s.emit1('\r')
			s.lineLen++
			s.midLine, s.dot = true, false
			// c is looked at afresh below.
		}
		switch {
		case c == '\r':
			s.cr = true
			i++
			continue
		case c == '\n' && s.bareLFEnds:
			i++
			if s.Stuffed && s.dot && s.lineLen == 1 {
				return i, true
			}
			s.emit(crlf)
			s.midLine, s.dot, s.lineLen = false, false, 0
			continue
		case c == '\n':
			// A bare LF is content, and the line goes on.
			s.BareLF = true
		case c == 0:
			s.NUL = true
		case s.Stuffed && !s.midLine && c == '.':
			s.midLine, s.dot = true, true
			s.lineLen++
			i++
			continue
		}
		// A run of ordinary octets up to the next CR, LF or NUL.
		j := i + 1
		hi := c
		for j < len(p) {
			d := p[j]
			if d == '\r' || d == '\n' || d == 0 {
				break
			}
			hi |= d
			j++
		}
		if hi >= 0x80 {
			s.EightBit = true
		}
		s.emit(p[i:j])
		s.lineLen += j - i
		if s.lineLen > maxTextLine {
			s.LongLine = true
		}
		s.midLine, s.dot = true, false
		i = j
	}
	return len(p), false
}

var crlf = []byte("\r\n")

// Stuff appends body to dst dot-stuffed for DATA, with the terminating
// "." line: every line that begins with "." gets another, and a body not
// ending in CRLF gets one. The body must already use CRLF line ends
// (CheckContent).
func Stuff(dst, body []byte) []byte {
	bol := true
	start := 0
	for i, c := range body {
		if bol && c == '.' {
			dst = append(dst, body[start:i]...)
			dst = append(dst, '.')
			start = i
		}
		bol = c == '\n'
	}
	dst = append(dst, body[start:]...)
	if len(body) > 0 && !bol {
		dst = append(dst, crlf...)
	}
	return append(dst, ".\r\n"...)
}

// CheckContent reports whether body can travel by SMTP unchanged: every
// CR and LF paired as CRLF and no NUL. It returns ErrBadContent if not.
func CheckContent(body []byte) error {
	for i, c := range body {
		switch c {
		case 0:
			return ErrBadContent
		case '\r':
			if i+1 >= len(body) || body[i+1] != '\n' {
				return ErrBadContent
			}
		case '\n':
			if i == 0 || body[i-1] != '\r' {
				return ErrBadContent
			}
		}
	}
	return nil
}

// has8Bit reports an octet over 127.
func has8Bit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
