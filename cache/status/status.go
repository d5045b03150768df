// Package status writes and reads the Cache-Status response field (RFC
// 9211): a Structured Field list with one member per cache that handled
// the response, the one nearest the origin first.
package status

import (
	"errors"
	"strings"

	"github.com/dunglas/httpsfv"
)

// Field is the header name.
const Field = "Cache-Status"

// Fwd values (RFC 9211 §2.2): why a cache forwarded the request.
const (
	FwdBypass   = "bypass"
	FwdMethod   = "method"
	FwdURIMiss  = "uri-miss"
	FwdVaryMiss = "vary-miss"
	FwdMiss     = "miss"
	FwdRequest  = "request"
	FwdStale    = "stale"
	FwdPartial  = "partial"
)

// maxKeyLength bounds the key parameter so a long URL cannot bloat the field.
const maxKeyLength = 512

// Member is one cache's entry. Zero-valued optional parameters are
// omitted; TTL is omitted unless HasTTL.
type Member struct {
	Cache     string // the cache's name (a token if it can be one, else a string)
	Hit       bool
	Fwd       string
	FwdStatus int
	HasTTL    bool
	TTL       int64
	Stored    bool
	Collapsed bool
	Key       string
	Detail    string
}

// ErrSyntax is returned for a Cache-Status that is not a valid list of
// cache entries.
var ErrSyntax = errors.New("cache-status: not a structured list of cache entries")

// String renders the member as one list member.
func (m Member) String() string {
	// Built in a stack buffer (the heap only for a long key) with one
	// conversion to string: this runs on every response.
	var stack [256]byte
	return string(m.AppendTo(stack[:0]))
}

// AppendTo appends the member as String renders it.
func (m Member) AppendTo(b []byte) []byte {
	if isToken(m.Cache) {
		b = append(b, m.Cache...)
	} else {
		s, _ := httpsfv.Marshal(httpsfv.NewItem(m.Cache))
		b = append(b, s...)
	}
	if m.Hit {
		b = append(b, "; hit"...)
	}
	if m.Fwd != "" {
		b = append(b, "; fwd="...)
		b = append(b, m.Fwd...)
	}
	if m.FwdStatus != 0 {
		b = append(b, "; fwd-status="...)
		b = appendItoa(b, int64(m.FwdStatus))
	}
	if m.HasTTL {
		b = append(b, "; ttl="...)
		b = appendItoa(b, m.TTL)
	}
	if m.Stored {
		b = append(b, "; stored"...)
	}
	if m.Collapsed {
		b = append(b, "; collapsed"...)
	}
	if m.Key != "" {
		k := m.Key
		if len(k) > maxKeyLength {
			k = k[:maxKeyLength]
		}
		b = append(b, "; key="...)
		b = appendQuoted(b, k)
	}
	if m.Detail != "" {
		b = append(b, "; detail="...)
		if isToken(m.Detail) {
			b = append(b, m.Detail...)
		} else {
			b = appendQuoted(b, m.Detail)
		}
	}
	return b
}

// Append adds m after the members already in the response's Cache-Status
// (RFC 9211 §2: a cache appends its own entry). An existing field that is
// not a valid list is replaced rather than extended.
func Append(existing []string, m Member) string {
	if len(existing) > 0 {
		if _, err := Parse(existing); err == nil {
			prev := strings.TrimSpace(strings.Join(existing, ", "))
			if prev != "" {
				return prev + ", " + m.String()
			}
		}
	}
	return m.String()
}

// Parse reads a Cache-Status field into its members. Unknown parameters
// are ignored, as RFC 9211 §2 asks.
func Parse(lines []string) ([]Member, error) {
	list, err := httpsfv.UnmarshalList(lines)
	if err != nil {
		return nil, ErrSyntax
	}
	out := make([]Member, 0, len(list))
	for _, lm := range list {
		it, ok := lm.(httpsfv.Item)
		if !ok {
			return nil, ErrSyntax
		}
		var m Member
		switch v := it.Value.(type) {
		case httpsfv.Token:
			m.Cache = string(v)
		case string:
			m.Cache = v
		default:
			return nil, ErrSyntax
		}
		for _, name := range it.Params.Names() {
			pv, _ := it.Params.Get(name)
			switch name {
			case "hit":
				m.Hit, _ = pv.(bool)
			case "fwd":
				if t, ok := pv.(httpsfv.Token); ok {
					m.Fwd = string(t)
				}
			case "fwd-status":
				if n, ok := pv.(int64); ok {
					m.FwdStatus = int(n)
				}
			case "ttl":
				if n, ok := pv.(int64); ok {
					m.HasTTL, m.TTL = true, n
				}
			case "stored":
				m.Stored, _ = pv.(bool)
			case "collapsed":
				m.Collapsed, _ = pv.(bool)
			case "key":
				m.Key, _ = pv.(string)
			case "detail":
				switch d := pv.(type) {
				case httpsfv.Token:
					m.Detail = string(d)
				case string:
					m.Detail = d
				}
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func appendItoa(dst []byte, n int64) []byte {
	if n == 0 {
		return append(dst, '0')
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return append(dst, buf[i:]...)
}

// appendQuoted appends s as an sf-string; bytes it cannot carry become '?'.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c >= 0x7f:
			dst = append(dst, '?')
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// isToken reports whether s is an sf-token: ALPHA / "*" then tchar / ":" / "/".
func isToken(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~:/", c) >= 0 {
			continue
		}
		return false
	}
	return true
}
