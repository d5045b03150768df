package bhttp

// Request control data stands in for HTTP/2's :method, :scheme, :authority
// and :path, and RFC 9292 §3.4 makes their rules (RFC 9113 §8.3.1) apply.
// Checking them here, not just passing bytes through, is what keeps a
// decoded request from smuggling a second request line or header into an
// HTTP/1.1 hop.

func checkMethod(m string) *fault {
	if m == "" {
		return faultf(ErrInvalidControlData, "empty method")
	}
	for i := 0; i < len(m); i++ {
		if !tchar[m[i]] {
			return faultf(ErrInvalidControlData, "method %q has byte 0x%02x, not a token character", clip(m), m[i])
		}
	}
	return nil
}

// ValidScheme reports whether s is a scheme in canonical form: RFC 3986
// §3.1 syntax in lowercase. Schemes are case-insensitive, but RFC 3986 has
// producers emit lowercase and net/http's client accepts only "http" and
// "https" spelled so; a request naming "HTTP" would pass every check and
// then be refused by the transport, as if the target were unreachable.
// The empty scheme (CONNECT's, RFC 9113 §8.5) is not valid here.
func ValidScheme(s string) bool { return s != "" && badSchemeByte(s) < 0 }

func badSchemeByte(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := 'a' <= c && c <= 'z' || i > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.')
		if !ok {
			return i
		}
	}
	return -1
}

// checkScheme allows an empty scheme because CONNECT has none (RFC 9113 §8.5).
func checkScheme(s string) *fault {
	if i := badSchemeByte(s); i >= 0 {
		return faultf(ErrInvalidControlData, "scheme %q has byte 0x%02x at %d (a scheme is lowercase RFC 3986 syntax)", clip(s), s[i], i)
	}
	return nil
}

// authorityChar marks RFC 3986 §3.2 authority bytes: unreserved,
// percent-encoded, sub-delims, ':', '@' and the brackets of an IPv6 literal.
var authorityChar = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlpha(byte(c)) || isDigit(byte(c))
	}
	for _, c := range "-._~%!$&'()*+,;=:@[]" {
		t[c] = true
	}
	return t
}()

// checkAuthority allows an empty authority: RFC 9292 §3.4 encodes a missing
// :authority as empty, and a host header field then names the target.
func checkAuthority(a string) *fault {
	for i := 0; i < len(a); i++ {
		if !authorityChar[a[i]] {
			return faultf(ErrInvalidControlData, "authority %q has byte 0x%02x at %d", clip(a), a[i], i)
		}
	}
	return nil
}

// checkPath allows only visible ASCII, which covers every request-target a
// real server accepts while ruling out spaces and line breaks. RFC 9113
// §8.3.1 forbids an empty path for http and https.
func checkPath(scheme, path string) *fault {
	if path == "" && (equalFold(scheme, "http") || equalFold(scheme, "https")) {
		return faultf(ErrInvalidControlData, "empty path with scheme %q", scheme)
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c <= ' ' || c >= 0x7f {
			return faultf(ErrInvalidControlData, "path %q has byte 0x%02x at %d", clip(path), c, i)
		}
	}
	return nil
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// equalFold is an ASCII-only strings.EqualFold: schemes are ASCII, and this
// avoids Unicode folding surprises on hostile input.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Status codes: RFC 9292 §3.5 allows any final status from 200 to 599 and
// any informational status from 100 to 199.

func checkFinalStatus(s int) *fault {
	if s < 200 || s > 599 {
		return faultf(ErrInvalidStatus, "final status %d is not 200-599", s)
	}
	return nil
}

func checkInformationalStatus(s int) *fault {
	if s < 100 || s > 199 {
		return faultf(ErrInvalidStatus, "informational status %d is not 100-199", s)
	}
	return nil
}
