// Package cachekey builds the keys a cache stores responses under: the
// normalized target URI (RFC 9111 §2, the primary key) and the normalized
// values of the request fields a response's Vary names (§4.1, the
// secondary key).
//
// Normalization only equates requests RFC 3986 §6.2.2 and RFC 9110 §4.2.3
// say are the same resource: scheme and host are case-insensitive, a
// default port is the same as none, percent-encodings of unreserved
// characters are the characters, and hex digits are case-insensitive.
// Nothing else (query order, trailing slashes, "..") is touched: an origin
// may well tell those apart.
package cachekey

import (
	"net/http"
	"sort"
	"strings"
)

// URI returns the normalized absolute URI for scheme, host (with an
// optional port) and the request target's path and query as sent.
func URI(scheme, host, requestURI string) string {
	scheme = strings.ToLower(scheme)
	host = strings.ToLower(host)
	if (scheme == "http" && strings.HasSuffix(host, ":80")) || (scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	host = normalizePercent(strings.TrimSuffix(host, ":"))
	if requestURI == "" || requestURI[0] != '/' {
		requestURI = "/" + requestURI
	}
	return scheme + "://" + host + normalizePercent(requestURI)
}

// Request returns the normalized URI of r as a cache on host would see it.
func Request(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return URI(scheme, host, r.URL.RequestURI())
}

// normalizePercent decodes %XX of unreserved characters and upper-cases
// the hex digits of every other escape. A stray '%' is kept as it is.
func normalizePercent(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if isUnreserved(v) {
				b.WriteByte(v)
			} else {
				b.WriteByte('%')
				b.WriteByte(upper(s[i+1]))
				b.WriteByte(upper(s[i+2]))
			}
			i += 2
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// VaryNames returns the lower-cased, de-duplicated, sorted field names of
// a response's Vary, and whether it contains "*" (which no request
// matches).
func VaryNames(h http.Header) (names []string, star bool) {
	for _, line := range h.Values("Vary") {
		for _, f := range strings.Split(line, ",") {
			f = strings.ToLower(strings.TrimSpace(f))
			switch f {
			case "":
			case "*":
				star = true
			default:
				names = append(names, f)
			}
		}
	}
	sort.Strings(names)
	out := names[:0]
	for i, n := range names {
		if i == 0 || n != names[i-1] {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, star
	}
	return out, star
}

// absent marks a field the request did not carry, which differs from an
// empty value.
const absent = "\x00"

// VaryValues returns the request's normalized values of the named fields:
// all field lines combined, list members trimmed and joined with ", ", so
// "a,b", "a, b" and two lines "a" and "b" are the same. An absent field
// is distinct from an empty one.
func VaryValues(h http.Header, names []string) []string {
	if len(names) == 0 {
		return nil
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = FieldValue(h.Values(n))
	}
	return out
}

// FieldValue normalizes one field's lines as VaryValues does.
func FieldValue(lines []string) string {
	if lines == nil {
		return absent
	}
	var parts []string
	for _, l := range lines {
		for _, p := range strings.Split(l, ",") {
			p = strings.Join(strings.Fields(p), " ")
			if p != "" {
				parts = append(parts, p)
			}
		}
	}
	return strings.Join(parts, ", ")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
