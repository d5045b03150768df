// Package authres builds and parses Authentication-Results header fields
// (RFC 8601): the record a receiver adds of what it checked (SPF, DKIM,
// DMARC, ARC) so that later agents, and ARC's
// ARC-Authentication-Results, can read it.
package authres

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Header is one Authentication-Results field's value.
type Header struct {
	ServID  string // authserv-id: who did the checks
	Version int    // 0 when absent (it means 1)
	Results []Result
}

// Result is one resinfo: method=result with its reason and properties.
type Result struct {
	Method        string // "spf", "dkim", "dmarc", "arc", ...
	MethodVersion int    // 0 when absent
	Value         string // "pass", "fail", ...
	Reason        string
	Props         []Prop
}

// Prop is a ptype.property=value, as smtp.mailfrom=a@b or header.d=b.
type Prop struct {
	Type, Name, Value string
}

// Prop returns the value of the named property ("header.d").
func (r Result) Prop(name string) (string, bool) {
	for _, p := range r.Props {
		if strings.EqualFold(p.Type+"."+p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// String formats the field's value (without "Authentication-Results:"),
// one resinfo per line, folded so each continuation starts with a tab.
// With no results it says "none".
func (h Header) String() string {
	var b strings.Builder
	b.WriteString(quoteIfNeeded(h.ServID))
	if h.Version > 0 {
		b.WriteString(" " + strconv.Itoa(h.Version))
	}
	if len(h.Results) == 0 {
		b.WriteString("; none")
		return b.String()
	}
	for _, r := range h.Results {
		b.WriteString(";\r\n\t")
		b.WriteString(r.String())
	}
	return b.String()
}

// Field is the whole header field, "Authentication-Results: " String()
// CRLF, ready to put at the top of a message.
func (h Header) Field() string { return "Authentication-Results: " + h.String() + "\r\n" }

// String formats one resinfo (without the leading ";").
func (r Result) String() string {
	var b strings.Builder
	b.WriteString(r.Method)
	if r.MethodVersion > 0 {
		b.WriteString("/" + strconv.Itoa(r.MethodVersion))
	}
	b.WriteString("=" + r.Value)
	if r.Reason != "" {
		b.WriteString(" reason=" + quote(r.Reason))
	}
	for _, p := range r.Props {
		b.WriteString(" " + p.Type + "." + p.Name + "=" + pvalue(p.Value))
	}
	return b.String()
}

const tspecials = "()<>@,;:\\\"/[]?="

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f && c < 0x80 || strings.IndexByte(tspecials, c) >= 0 {
			return false
		}
	}
	return true
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func quoteIfNeeded(s string) string {
	if isToken(s) {
		return s
	}
	return quote(s)
}

// pvalue writes a property value: bare if it is a token or an address
// (local@domain, @domain), quoted otherwise.
func pvalue(s string) string {
	if isToken(s) {
		return s
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 && isToken(s[at+1:]) && (at == 0 || isToken(s[:at])) {
		return s
	}
	return quote(s)
}

// ErrSyntax is wrapped by every error Parse returns.
var ErrSyntax = errors.New("authres: malformed Authentication-Results")

// SyntaxError says where the parse stopped.
type SyntaxError struct {
	Offset int
	Reason string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%v at offset %d: %s", ErrSyntax, e.Offset, e.Reason)
}
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// Parse reads a field value (after "Authentication-Results:"; folding and
// comments allowed anywhere CFWS is).
func Parse(value string) (Header, error) {
	p := &parser{s: value}
	var h Header
	p.cfws()
	id, err := p.value()
	if err != nil {
		return h, err
	}
	h.ServID = id
	p.cfws()
	if p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		n := p.digits()
		h.Version, _ = strconv.Atoi(n)
		p.cfws()
	}
	for {
		p.cfws()
		if p.pos == len(p.s) {
			break
		}
		if p.s[p.pos] != ';' {
			return h, p.fail("expected ';'")
		}
		p.pos++
		p.cfws()
		if p.pos == len(p.s) {
			break // a trailing ';' is common enough to accept
		}
		if len(h.Results) == 0 && p.keywordIs("none") {
			p.cfws()
			if p.pos != len(p.s) {
				return h, p.fail("text after 'none'")
			}
			return h, nil
		}
		r, err := p.resinfo()
		if err != nil {
			return h, err
		}
		h.Results = append(h.Results, r)
	}
	return h, nil
}

type parser struct {
	s   string
	pos int
}

func (p *parser) fail(reason string) error { return &SyntaxError{p.pos, reason} }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) digits() string {
	start := p.pos
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

// cfws skips white space, folding and (nested) comments. An unclosed
// comment runs to the end, which a later check reports.
func (p *parser) cfws() {
	for p.pos < len(p.s) {
		switch c := p.s[p.pos]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			p.pos++
		case c == '(':
			depth := 0
			for p.pos < len(p.s) {
				c := p.s[p.pos]
				p.pos++
				if c == '\\' {
					p.pos++
				} else if c == '(' {
					depth++
				} else if c == ')' {
					if depth--; depth == 0 {
						break
					}
				}
			}
		default:
			return
		}
	}
}

// keywordIs consumes a keyword if it is the next token and is not followed
// by more token characters.
func (p *parser) keywordIs(k string) bool {
	end := p.pos + len(k)
	if end > len(p.s) || !strings.EqualFold(p.s[p.pos:end], k) {
		return false
	}
	if end < len(p.s) && isTokenChar(p.s[end]) {
		return false
	}
	p.pos = end
	return true
}

func isTokenChar(c byte) bool {
	return c > ' ' && c != 0x7f && strings.IndexByte(tspecials, c) < 0
}

func (p *parser) token() (string, error) {
	start := p.pos
	for p.pos < len(p.s) && isTokenChar(p.s[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		return "", p.fail("expected a token")
	}
	return p.s[start:p.pos], nil
}

// value is a token or a quoted-string.
func (p *parser) value() (string, error) {
	if p.pos < len(p.s) && p.s[p.pos] == '"' {
		p.pos++
		var b strings.Builder
		for p.pos < len(p.s) {
			c := p.s[p.pos]
			p.pos++
			switch c {
			case '\\':
				if p.pos == len(p.s) {
					return "", p.fail("unfinished quoted pair")
				}
				b.WriteByte(p.s[p.pos])
				p.pos++
			case '"':
				return b.String(), nil
			case '\r', '\n':
			default:
				b.WriteByte(c)
			}
		}
		return "", p.fail("unterminated quoted string")
	}
	return p.token()
}

func (p *parser) expect(c byte) error {
	p.cfws()
	if p.pos >= len(p.s) || p.s[p.pos] != c {
		return p.fail(fmt.Sprintf("expected %q", c))
	}
	p.pos++
	p.cfws()
	return nil
}

func (p *parser) resinfo() (Result, error) {
	var r Result
	method, err := p.keyword()
	if err != nil {
		return r, err
	}
	r.Method = strings.ToLower(method)
	p.cfws()
	if p.pos < len(p.s) && p.s[p.pos] == '/' {
		p.pos++
		p.cfws()
		n := p.digits()
		if n == "" {
			return r, p.fail("expected a method version")
		}
		r.MethodVersion, _ = strconv.Atoi(n)
	}
	if err := p.expect('='); err != nil {
		return r, err
	}
	value, err := p.keyword()
	if err != nil {
		return r, err
	}
	r.Value = strings.ToLower(value)
	for {
		p.cfws()
		if p.pos == len(p.s) || p.s[p.pos] == ';' {
			return r, nil
		}
		name, err := p.keyword()
		if err != nil {
			return r, err
		}
		p.cfws()
		if strings.EqualFold(name, "reason") && p.pos < len(p.s) && p.s[p.pos] == '=' {
			p.pos++
			p.cfws()
			if r.Reason, err = p.value(); err != nil {
				return r, err
			}
			continue
		}
		if err := p.expect('.'); err != nil {
			return r, err
		}
		prop, err := p.keyword()
		if err != nil {
			return r, err
		}
		if err := p.expect('='); err != nil {
			return r, err
		}
		v, err := p.pvalue()
		if err != nil {
			return r, err
		}
		r.Props = append(r.Props, Prop{Type: strings.ToLower(name), Name: strings.ToLower(prop), Value: v})
	}
}

// keyword is RFC 8601's Keyword: letters, digits and hyphens... and
// underscores, which real headers use, ending before '.', '=' or '/'.
func (p *parser) keyword() (string, error) {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-' || c == '_' {
			p.pos++
			continue
		}
		break
	}
	if p.pos == start {
		return "", p.fail("expected a keyword")
	}
	return p.s[start:p.pos], nil
}

// pvalue is a value, or an address [local-part] "@" domain.
func (p *parser) pvalue() (string, error) {
	if p.pos < len(p.s) && p.s[p.pos] == '"' {
		local, err := p.value()
		if err != nil {
			return "", err
		}
		if p.pos < len(p.s) && p.s[p.pos] == '@' {
			p.pos++
			d, err := p.token()
			return local + "@" + d, err
		}
		return local, nil
	}
	start := p.pos
	for p.pos < len(p.s) && (isTokenChar(p.s[p.pos]) || p.s[p.pos] == '@' || p.s[p.pos] == '/' || p.s[p.pos] == '=' || p.s[p.pos] == ':') {
		p.pos++
	}
	if p.pos == start {
		return "", p.fail("expected a property value")
	}
	return p.s[start:p.pos], nil
}
