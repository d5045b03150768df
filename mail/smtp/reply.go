package smtp

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// EnhancedCode is an RFC 3463 enhanced status code class.subject.detail,
// such as {5, 7, 1}. The zero value means "none".
type EnhancedCode [3]int

// IsZero reports whether e carries no code.
func (e EnhancedCode) IsZero() bool { return e == EnhancedCode{} }

func (e EnhancedCode) String() string {
	if e.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", e[0], e[1], e[2])
}

// Reply is one SMTP reply: a three-digit code, an enhanced status code
// (RFC 3463, zero if none) and one or more lines of text.
type Reply struct {
	Code     int
	Enhanced EnhancedCode
	Lines    []string
}

// Text joins the reply's lines with a space.
func (r Reply) Text() string { return strings.Join(r.Lines, " ") }

// IsZero reports whether r is the zero Reply (a Backend's "use the default").
func (r Reply) IsZero() bool { return r.Code == 0 }

// Positive reports a 2xx or 3xx reply.
func (r Reply) Positive() bool { return r.Code >= 200 && r.Code < 400 }

// Transient reports a 4xx reply.
func (r Reply) Transient() bool { return r.Code >= 400 && r.Code < 500 }

// Permanent reports a 5xx reply.
func (r Reply) Permanent() bool { return r.Code >= 500 && r.Code < 600 }

func (r Reply) String() string {
	if r.IsZero() {
		return ""
	}
	return strings.TrimRight(string(r.AppendTo(nil)), "\r\n")
}

// replyText is the longest text this package puts on one reply line, so
// that with code and enhanced code a line stays within RFC 5321 §4.5.3.1.5's
// 512 octets.
const replyText = 480

// AppendTo appends r in wire form: every line carries the code, with "-"
// after it on all but the last, and the enhanced code when r has one. Text
// is made safe to send: CR, LF and other control characters become spaces
// and over-long lines are cut, so a reply relayed from elsewhere cannot
// inject lines of its own.
func (r Reply) AppendTo(b []byte) []byte {
	code := r.Code
	if code < 200 || code > 599 {
		code = 451
	}
	lines := r.Lines
	if len(lines) == 0 {
		lines = []string{""}
	}
	for i, line := range lines {
		b = strconv.AppendInt(b, int64(code), 10)
		if i < len(lines)-1 {
			b = append(b, '-')
		} else {
			b = append(b, ' ')
		}
		if !r.Enhanced.IsZero() {
			b = append(b, r.Enhanced.String()...)
			b = append(b, ' ')
		}
		if len(line) > replyText {
			line = line[:replyText]
		}
		for j := 0; j < len(line); j++ {
			c := line[j]
			if c < ' ' || c == 0x7f {
				c = ' '
			}
			b = append(b, c)
		}
		b = append(b, '\r', '\n')
	}
	return b
}

// reply builds a one-line Reply.
func reply(code int, enh EnhancedCode, text string) Reply {
	return Reply{Code: code, Enhanced: enh, Lines: []string{text}}
}

// ParseEnhancedCode parses "class.subject.detail" (RFC 3463 §2: class 2, 4
// or 5; subject and detail 0–999 without leading zeros beyond one digit).
func ParseEnhancedCode(s string) (EnhancedCode, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return EnhancedCode{}, false
	}
	var e EnhancedCode
	for i, p := range parts {
		if p == "" || len(p) > 3 || (len(p) > 1 && p[0] == '0') {
			return EnhancedCode{}, false
		}
		n := 0
		for _, c := range []byte(p) {
			if c < '0' || c > '9' {
				return EnhancedCode{}, false
			}
			n = n*10 + int(c-'0')
		}
		e[i] = n
	}
	if e[0] != 2 && e[0] != 4 && e[0] != 5 {
		return EnhancedCode{}, false
	}
	return e, true
}

// maxReplyLines bounds a multi-line reply, and maxReplyLine one of its
// lines, so a hostile server cannot make a client buffer without end.
const (
	maxReplyLines = 128
	maxReplyLine  = 4096
)

// ReplyParser reads replies from the bytes a server sends, in any pieces.
// It is the client session's reader and usable on its own.
type ReplyParser struct {
	buf   []byte
	lines []string
	code  int
	err   error
}

// Feed appends received bytes.
func (p *ReplyParser) Feed(b []byte) { p.buf = append(p.buf, b...) }

// Next returns the next complete reply. ok is false when more bytes are
// needed. A malformed reply yields a *ProtocolError, and so does every call
// after it: the stream cannot be trusted again.
func (p *ReplyParser) Next() (r Reply, ok bool, err error) {
	if p.err != nil {
		return Reply{}, false, p.err
	}
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			if len(p.buf) > maxReplyLine {
				p.err = &ProtocolError{Msg: "reply line too long"}
				return Reply{}, false, p.err
			}
			return Reply{}, false, nil
		}
		line := p.buf[:i]
		p.buf = p.buf[i+1:]
		if len(line) == 0 || line[len(line)-1] != '\r' {
			p.err = &ProtocolError{Msg: "reply line not ended by CRLF", Line: string(line)}
			return Reply{}, false, p.err
		}
		line = line[:len(line)-1]
		code, last, text, err := parseReplyLine(line)
		if err != nil {
			p.err = err
			return Reply{}, false, err
		}
		if len(p.lines) > 0 && code != p.code {
			p.err = &ProtocolError{Msg: "reply code changes within a multi-line reply", Line: string(line)}
			return Reply{}, false, p.err
		}
		if len(p.lines) >= maxReplyLines {
			p.err = &ProtocolError{Msg: "too many reply lines"}
			return Reply{}, false, p.err
		}
		p.code = code
		p.lines = append(p.lines, text)
		if last {
			r := Reply{Code: code, Lines: p.lines}
			p.lines = nil
			r.Enhanced, r.Lines = splitEnhanced(code, r.Lines)
			return r, true, nil
		}
	}
}

func parseReplyLine(line []byte) (code int, last bool, text string, err error) {
	if len(line) < 3 {
		return 0, false, "", &ProtocolError{Msg: "reply line too short", Line: string(line)}
	}
	for _, c := range line[:3] {
		if c < '0' || c > '9' {
			return 0, false, "", &ProtocolError{Msg: "reply code is not three digits", Line: string(line)}
		}
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if code < 200 || code > 599 {
		return 0, false, "", &ProtocolError{Msg: "reply code out of range", Line: string(line)}
	}
	switch {
	case len(line) == 3:
		return code, true, "", nil
	case line[3] == ' ':
		last = true
	case line[3] == '-':
	default:
		return 0, false, "", &ProtocolError{Msg: "reply code not followed by space or hyphen", Line: string(line)}
	}
	txt := []byte(string(line[4:]))
	for i, c := range txt {
		switch {
		case c == 0 || c == '\r':
			return 0, false, "", &ProtocolError{Msg: "NUL or CR in reply text", Line: string(line)}
		case c < ' ' || c == 0x7f:
			// As AppendTo does: other controls read as spaces.
			txt[i] = ' '
		}
	}
	return code, last, string(txt), nil
}

// splitEnhanced takes the enhanced code off every line when the first line
// starts with one whose class matches the reply code (RFC 2034 §4).
func splitEnhanced(code int, lines []string) (EnhancedCode, []string) {
	first, _, _ := strings.Cut(lines[0], " ")
	enh, ok := ParseEnhancedCode(first)
	if !ok || enh[0] != code/100 {
		return EnhancedCode{}, lines
	}
	prefix := first + " "
	out := make([]string, len(lines))
	for i, l := range lines {
		if l == first {
			l = ""
		}
		out[i] = strings.TrimPrefix(l, prefix)
	}
	return enh, out
}
