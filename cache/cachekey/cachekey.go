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
	"unicode/utf8"
)

// URI returns the normalized absolute URI for scheme, host (with an
// optional port) and the request target's path and query as sent.
func URI(scheme, host, requestURI string) string {
	var buf [256]byte
	return string(AppendURI(buf[:0], scheme, host, requestURI))
}

// AppendURI appends URI(scheme, host, requestURI) to dst. The hit path
// builds its key here, in a buffer of its own, so that looking up a stored
// key allocates nothing.
func AppendURI(dst []byte, scheme, host, requestURI string) []byte {
	start := len(dst)
	dst = appendLower(dst, scheme)
	s := dst[start:]
	return appendAuthorityPath(dst, string(s) == "http", string(s) == "https", host, requestURI, false)
}

// appendAuthorityPath appends "://", the host and the request target,
// after a scheme already appended in lower case.
// plainURI says requestURI is known to hold no '%' (nothing to normalize).
func appendAuthorityPath(dst []byte, isHTTP, isHTTPS bool, host, requestURI string, plainURI bool) []byte {
	dst = append(dst, "://"...)
	hs := len(dst)
	// The usual host is ASCII, lower case, with no escapes: copied
	// whole, after one read of its bytes.
	plain := plainHost(host)
	if plain {
		dst = append(dst, host...)
	} else {
		dst = appendLower(dst, host)
	}
	h := dst[hs:]
	switch {
	case isHTTP && hasSuffix(h, ":80"):
		dst = dst[:len(dst)-3]
	case isHTTPS && hasSuffix(h, ":443"):
		dst = dst[:len(dst)-4]
	}
	if len(dst) > hs && dst[len(dst)-1] == ':' {
		dst = dst[:len(dst)-1]
	}
	if !plain && hasPercent(dst[hs:]) {
		h := string(dst[hs:]) // rare: an escape in the host
		dst = appendPercent(dst[:hs], h)
	}
	if requestURI == "" || requestURI[0] != '/' {
		dst = append(dst, '/')
	}
	if plainURI {
		return append(dst, requestURI...)
	}
	return appendPercent(dst, requestURI)
}

// Request returns the normalized URI of r as a cache on host would see it.
func Request(r *http.Request) string {
	var buf [256]byte
	return string(AppendRequest(buf[:0], r))
}

// AppendRequest appends Request(r) to dst.
func AppendRequest(dst []byte, r *http.Request) []byte {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	u := r.URL
	if u.Opaque != "" {
		return AppendURI(dst, scheme, host, u.RequestURI())
	}
	// u.RequestURI() without building the string: the path, then the
	// query. No escape can span the '?', so normalizing the two apart is
	// normalizing them together.
	path := u.Path
	plain := u.RawPath == "" && plainPath(path) // then its own escaped form, with no '%'
	if !plain {
		path = u.EscapedPath()
	}
	if path == "" {
		path = "/"
	}
	dst = append(dst, scheme...)
	dst = appendAuthorityPath(dst, r.TLS == nil, r.TLS != nil, host, path, plain)
	if u.ForceQuery || u.RawQuery != "" {
		dst = append(dst, '?')
		dst = appendPercent(dst, u.RawQuery)
	}
	return dst
}

// normalizePercent decodes %XX of unreserved characters and upper-cases
// the hex digits of every other escape. A stray '%' is kept as it is.
func normalizePercent(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	return string(appendPercent(make([]byte, 0, len(s)), s))
}

// appendPercent appends normalizePercent(s) to dst.
func appendPercent(dst []byte, s string) []byte {
	if strings.IndexByte(s, '%') < 0 {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if isUnreserved(v) {
				dst = append(dst, v)
			} else {
				dst = append(dst, '%', upper(s[i+1]), upper(s[i+2]))
			}
			i += 2
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// appendLower appends strings.ToLower(s): byte by byte for ASCII, which
// is every scheme and every host net/http accepts.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return append(dst, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// pathSafe are the bytes url.URL.EscapedPath leaves as they are in a
// path: unreserved, and the reserved ones a path may hold except '?'.
var pathSafe = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-_.~$&+,/:;=@" {
		t[c] = true
	}
	return t
}()

// hostSpecial are the host bytes that need more than a copy: upper case,
// an escape, anything not ASCII.
var hostSpecial = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	t['%'] = true
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = true
	}
	return t
}()

// plainHost reports whether host has no hostSpecial byte, eight bytes at
// a time: every host is looked at on every request.
func plainHost(host string) bool {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	s := host
	for len(s) >= 8 {
		x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if x&high != 0 {
			return false // not ASCII
		}
		// With every byte below 0x80 no sum carries into the next byte:
		// a byte's high bit in x+0x3f.. is set from 'A' up, in x+0x25..
		// from 'Z'+1 up.
		if (x+0x3f*ones)&^(x+0x25*ones)&high != 0 {
			return false // upper case
		}
		if v := x ^ '%'*ones; (v-ones)&^v&high != 0 {
			return false // an escape
		}
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		if hostSpecial[s[i]] {
			return false
		}
	}
	return true
}

// plainPath reports whether p is its own escaped form (so EscapedPath
// would return it) with no '%' in it (so normalizing leaves it too).
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		if !pathSafe[p[i]] {
			return false
		}
	}
	return true
}

func hasSuffix(b []byte, suffix string) bool {
	return len(b) >= len(suffix) && string(b[len(b)-len(suffix):]) == suffix
}

func hasPercent(b []byte) bool {
	for _, c := range b {
		if c == '%' {
			return true
		}
	}
	return false
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
