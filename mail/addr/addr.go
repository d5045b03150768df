// Package addr parses and normalizes SMTP envelope addresses (RFC 5321
// paths, RFC 5322 local parts, RFC 6531 internationalized addresses) into
// the canonical form that routing rules match on: a domain in A-label form
// (UTS #46 lookup profile, so U-label and A-label spellings of one name are
// one domain) and an NFC-normalized local part.
package addr

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// RFC 5321 §4.5.3.1 size limits, in octets.
const (
	MaxLocalLen  = 64
	MaxDomainLen = 255
	MaxPathLen   = 256
)

// Kind classifies a parse failure so that a server can pick its reply.
type Kind int

const (
	// KindSyntax: the text is not a path or mailbox at all (501 5.1.3 /
	// 553 5.1.3).
	KindSyntax Kind = iota + 1
	// KindTooLong: a length limit of RFC 5321 §4.5.3.1 is exceeded.
	KindTooLong
	// KindNeedsSMTPUTF8: non-ASCII text in a session without SMTPUTF8
	// (RFC 6531 §3.4: 553 5.6.7).
	KindNeedsSMTPUTF8
	// KindBadDomain: the domain is not a valid host name or IDN.
	KindBadDomain
	// KindNullPath: the null reverse path <> where a mailbox is required.
	KindNullPath
)

func (k Kind) String() string {
	switch k {
	case KindSyntax:
		return "syntax"
	case KindTooLong:
		return "too long"
	case KindNeedsSMTPUTF8:
		return "needs SMTPUTF8"
	case KindBadDomain:
		return "bad domain"
	case KindNullPath:
		return "null path"
	}
	return "unknown"
}

// Error is the error every parser in this package returns.
type Error struct {
	Kind   Kind
	Input  string
	Detail string
}

func (e *Error) Error() string {
	return fmt.Sprintf("addr: %s: %s (in %q)", e.Kind, e.Detail, e.Input)
}

// Is lets errors.Is(err, &Error{Kind: k}) match by kind.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Kind == e.Kind && t.Input == "" && t.Detail == ""
}

func fail(k Kind, input, detail string) error { return &Error{Kind: k, Input: input, Detail: detail} }

// Options say what the SMTP session negotiated.
type Options struct {
	// SMTPUTF8 allows UTF-8 in local parts and U-labels in domains.
	SMTPUTF8 bool
}

// Domain is a parsed domain or address literal.
type Domain struct {
	// ASCII is the lower-case A-label form without a trailing dot, or for
	// an address literal its bracketed text ("[192.0.2.1]").
	ASCII string
	// Unicode is the U-label form for display (equal to ASCII for plain
	// names and literals).
	Unicode string
	// Literal is set for an address literal; IP is its address.
	Literal bool
	IP      netip.Addr
}

// IsUnicode reports whether the domain has U-labels.
func (d Domain) IsUnicode() bool { return d.ASCII != d.Unicode }

// Mailbox is local-part@domain with the local part unquoted and, if it is
// UTF-8, NFC-normalized.
type Mailbox struct {
	Local  string
	Domain Domain
}

// Path is an SMTP reverse or forward path. A null path (<>) has Null set
// and no mailbox. A source route (<@a,@b:u@d>) is kept only so it can be
// logged: RFC 5321 §3.6.1 says to ignore it, and routing looks at Mailbox
// alone, so a route can never steer where mail goes.
type Path struct {
	Null        bool
	SourceRoute []Domain
	Mailbox     Mailbox
}

// String renders the path with angle brackets, quoting the local part
// when it is not a dot-atom.
func (p Path) String() string {
	if p.Null {
		return "<>"
	}
	return "<" + p.Mailbox.String() + ">"
}

// String renders local@domain, quoting the local part when needed.
func (m Mailbox) String() string {
	return QuoteLocal(m.Local) + "@" + m.Domain.ASCII
}

// UnicodeString renders local@domain with the domain in U-labels.
func (m Mailbox) UnicodeString() string {
	return QuoteLocal(m.Local) + "@" + m.Domain.Unicode
}

// NeedsSMTPUTF8 reports whether sending this mailbox needs SMTPUTF8 (a
// UTF-8 local part; a U-label domain can be sent in A-labels).
func (m Mailbox) NeedsSMTPUTF8() bool { return !isASCII(m.Local) }

// QuoteLocal returns the local part as a dot-atom if it is one, else as a
// quoted string.
func QuoteLocal(local string) string {
	if isDotAtom(local) {
		return local
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// ParsePath parses an SMTP path as it appears after "MAIL FROM:" or
// "RCPT TO:", angle brackets included. The null path <> is accepted; the
// caller decides whether it is allowed (it is in MAIL only).
func ParsePath(s string, opt Options) (Path, error) {
	if len(s) > MaxPathLen+2 {
		return Path{}, fail(KindTooLong, s, "path longer than 256 octets")
	}
	if len(s) < 2 || s[0] != '<' || s[len(s)-1] != '>' {
		return Path{}, fail(KindSyntax, s, "path must be enclosed in <>")
	}
	inner := s[1 : len(s)-1]
	if inner == "" {
		return Path{Null: true}, nil
	}
	var p Path
	if inner[0] == '@' {
		colon := strings.IndexByte(inner, ':')
		if colon < 0 {
			return Path{}, fail(KindSyntax, s, "source route without ':'")
		}
		for _, hop := range strings.Split(inner[:colon], ",") {
			if len(hop) < 2 || hop[0] != '@' {
				return Path{}, fail(KindSyntax, s, "source route hop must be @domain")
			}
			d, err := parseDomain(hop[1:], s, opt)
			if err != nil {
				return Path{}, err
			}
			p.SourceRoute = append(p.SourceRoute, d)
		}
		inner = inner[colon+1:]
	}
	m, err := parseMailbox(inner, s, opt)
	if err != nil {
		return Path{}, err
	}
	p.Mailbox = m
	return p, nil
}

// ParseMailbox parses local@domain without angle brackets.
func ParseMailbox(s string, opt Options) (Mailbox, error) { return parseMailbox(s, s, opt) }

// ParseDomain parses a domain (U-labels, A-labels or mixed) or an address
// literal. U-labels need opt.SMTPUTF8.
func ParseDomain(s string, opt Options) (Domain, error) { return parseDomain(s, s, opt) }

func parseMailbox(s, input string, opt Options) (Mailbox, error) {
	if s == "" {
		return Mailbox{}, fail(KindSyntax, input, "empty mailbox")
	}
	if !utf8.ValidString(s) {
		return Mailbox{}, fail(KindSyntax, input, "not valid UTF-8")
	}
	var local string
	var rest string
	if s[0] == '"' {
		l, n, err := parseQuoted(s, input)
		if err != nil {
			return Mailbox{}, err
		}
		local, rest = l, s[n:]
	} else {
		at := strings.IndexByte(s, '@')
		if at < 0 {
			return Mailbox{}, fail(KindSyntax, input, "no @ in mailbox")
		}
		local, rest = s[:at], s[at:]
		if !isDotAtom(local) {
			return Mailbox{}, fail(KindSyntax, input, "local part is not a dot-atom")
		}
	}
	if len(rest) < 2 || rest[0] != '@' {
		return Mailbox{}, fail(KindSyntax, input, "no domain after local part")
	}
	if !isASCII(local) {
		if !opt.SMTPUTF8 {
			return Mailbox{}, fail(KindNeedsSMTPUTF8, input, "UTF-8 local part without SMTPUTF8")
		}
		local = norm.NFC.String(local)
	}
	if local == "" {
		return Mailbox{}, fail(KindSyntax, input, "empty local part")
	}
	if len(local) > MaxLocalLen {
		return Mailbox{}, fail(KindTooLong, input, "local part longer than 64 octets")
	}
	d, err := parseDomain(rest[1:], input, opt)
	if err != nil {
		return Mailbox{}, err
	}
	return Mailbox{Local: local, Domain: d}, nil
}

// parseQuoted reads a quoted-string at the start of s and returns its
// unescaped content and the number of bytes consumed.
func parseQuoted(s, input string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), i + 1, nil
		case c == '\\':
			i++
			if i >= len(s) || s[i] < 32 || s[i] > 126 {
				return "", 0, fail(KindSyntax, input, "bad quoted-pair")
			}
			b.WriteByte(s[i])
		case c >= 32 && c <= 126 || c >= 0x80:
			b.WriteByte(c)
		default:
			return "", 0, fail(KindSyntax, input, "control character in quoted local part")
		}
	}
	return "", 0, fail(KindSyntax, input, "unterminated quoted local part")
}

func parseDomain(s, input string, opt Options) (Domain, error) {
	if s == "" {
		return Domain{}, fail(KindSyntax, input, "empty domain")
	}
	if s[0] == '[' {
		return parseLiteral(s, input)
	}
	if len(s) > MaxDomainLen {
		return Domain{}, fail(KindTooLong, input, "domain longer than 255 octets")
	}
	if !utf8.ValidString(s) {
		return Domain{}, fail(KindSyntax, input, "domain is not valid UTF-8")
	}
	if !isASCII(s) && !opt.SMTPUTF8 {
		return Domain{}, fail(KindNeedsSMTPUTF8, input, "U-label domain without SMTPUTF8")
	}
	// A trailing dot is a DNS spelling, not RFC 5321 syntax; refusing it
	// keeps "ours.example." from becoming a second name for a domain.
	if strings.HasSuffix(s, ".") || strings.HasPrefix(s, ".") || strings.Contains(s, "..") {
		return Domain{}, fail(KindBadDomain, input, "empty label")
	}
	ascii, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return Domain{}, fail(KindBadDomain, input, err.Error())
	}
	ascii = strings.ToLower(ascii)
	if err := checkHostname(ascii); err != "" {
		return Domain{}, fail(KindBadDomain, input, err)
	}
	uni, err := idna.Lookup.ToUnicode(ascii)
	if err != nil {
		return Domain{}, fail(KindBadDomain, input, err.Error())
	}
	return Domain{ASCII: ascii, Unicode: uni}, nil
}

// checkHostname applies RFC 5321's sub-domain rule (letters, digits,
// hyphens; no hyphen at either end) to every A-label form label.
func checkHostname(ascii string) string {
	if len(ascii) > 253 {
		return "domain longer than 253 octets"
	}
	labels := strings.Split(ascii, ".")
	for _, l := range labels {
		if l == "" {
			return "empty label"
		}
		if len(l) > 63 {
			return "label longer than 63 octets"
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "label starts or ends with a hyphen"
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Sprintf("character %q not allowed in a host name", c)
			}
		}
	}
	return ""
}

func parseLiteral(s, input string) (Domain, error) {
	if s[len(s)-1] != ']' {
		return Domain{}, fail(KindSyntax, input, "unterminated address literal")
	}
	body := s[1 : len(s)-1]
	text := body
	if len(body) > 5 && strings.EqualFold(body[:5], "IPv6:") {
		text = body[5:]
	} else if strings.Contains(body, ":") {
		return Domain{}, fail(KindBadDomain, input, "IPv6 literal without the IPv6: tag")
	}
	ip, err := netip.ParseAddr(text)
	if err != nil || ip.Zone() != "" || (ip.Is6() && text == body) || (ip.Is4() && text != body) {
		return Domain{}, fail(KindBadDomain, input, "bad address literal")
	}
	canon := "[" + ip.String() + "]"
	if ip.Is6() {
		canon = "[IPv6:" + ip.String() + "]"
	}
	return Domain{ASCII: canon, Unicode: canon, Literal: true, IP: ip}, nil
}

// atext of RFC 5322 §3.2.3, widened by RFC 6531 to every non-ASCII
// character.
func isAtext(c byte) bool {
	if c >= 0x80 {
		return true
	}
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			if s[i-1] == '.' {
				return false
			}
			continue
		}
		if !isAtext(s[i]) {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
