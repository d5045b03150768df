package cachekey

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestURI(t *testing.T) {
	cases := []struct{ scheme, host, uri, want string }{
		{"http", "Example.COM:80", "/a", "http://example.com/a"},
		{"HTTPS", "example.com:443", "/a?b=c", "https://example.com/a?b=c"},
		{"http", "example.com:8080", "/a", "http://example.com:8080/a"},
		{"http", "example.com", "/%7euser/%2f%2Fx%41", "http://example.com/~user/%2F%2FxA"},
		{"http", "example.com", "/a?q=%e2%82%ac", "http://example.com/a?q=%E2%82%AC"},
		{"http", "example.com", "/100%", "http://example.com/100%"},
		{"http", "example.com", "", "http://example.com/"},
		{"http", "example.com", "/a/../b?y=1&x=2", "http://example.com/a/../b?y=1&x=2"},
	}
	for _, c := range cases {
		if got := URI(c.scheme, c.host, c.uri); got != c.want {
			t.Errorf("URI(%q, %q, %q) = %q, want %q", c.scheme, c.host, c.uri, got, c.want)
		}
	}
}

func TestVary(t *testing.T) {
	h := http.Header{"Vary": {"Accept-Encoding, accept-language", "ACCEPT-ENCODING"}}
	names, star := VaryNames(h)
	if star || len(names) != 2 || names[0] != "accept-encoding" || names[1] != "accept-language" {
		t.Fatalf("VaryNames = %v, %v", names, star)
	}
	if _, star := VaryNames(http.Header{"Vary": {"a, *"}}); !star {
		t.Fatal("Vary * not seen")
	}
	a := VaryValues(http.Header{"Accept-Encoding": {"gzip,  br"}}, names)
	b := VaryValues(http.Header{"Accept-Encoding": {"gzip", "br"}}, names)
	if a[0] != b[0] || a[0] != "gzip, br" {
		t.Fatalf("normalized values differ: %q %q", a, b)
	}
	if a[1] != absent || VaryValues(http.Header{"Accept-Language": {""}}, names)[1] == absent {
		t.Fatal("an absent field must differ from an empty one")
	}
}

// FuzzNormalize: normalizing is idempotent, never panics, and keeps the
// scheme and the lower-cased host.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"/a%7e%7E", "/%zz%", "/%2f", "?x=%41", "/\u20ac", "/%"} {
		f.Add("example.com:80", s)
	}
	f.Fuzz(func(t *testing.T, host, uri string) {
		k := URI("http", host, uri)
		if len(k) < len("http://") || k[:7] != "http://" {
			t.Fatalf("key %q lost its scheme", k)
		}
		if again := normalizePercent(k); again != k {
			t.Fatalf("not idempotent: %q -> %q", k, again)
		}
	})
}

// FuzzVaryValue: normalization is idempotent.
func FuzzVaryValue(f *testing.F) {
	for _, s := range []string{"gzip, br", " a ,,b ", "\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := FieldValue([]string{s})
		if again := FieldValue([]string{v}); again != v {
			t.Fatalf("FieldValue(%q) = %q, again %q", s, v, again)
		}
	})
}

// oracleURI is the key as the RFC text says it, written the plain way
// (string operations, no buffer): AppendURI must build the same bytes.
func oracleURI(scheme, host, requestURI string) string {
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

// FuzzAppendURIMatchesOracle: the buffered key is the plain one, for any
// scheme, host and target, and Request agrees with URI of RequestURI.
func FuzzAppendURIMatchesOracle(f *testing.F) {
	for _, c := range [][3]string{
		{"HTTP", "Example.COM:80", "/a?b=%7e"}, {"https", "x:443", ""}, {"http", "x:", "a"},
		{"hTTps", "\u00c9x.test:443", "/%zz%4"}, {"http", "h%4a:80", "/p?q"}, {"ftp", "x:80", "/"},
	} {
		f.Add(c[0], c[1], c[2])
	}
	f.Fuzz(func(t *testing.T, scheme, host, uri string) {
		want := oracleURI(scheme, host, uri)
		if got := string(AppendURI([]byte("prefix"), scheme, host, uri)); got != "prefix"+want {
			t.Fatalf("AppendURI(%q, %q, %q) = %q, want %q", scheme, host, uri, got, "prefix"+want)
		}
		if u, err := url.ParseRequestURI("/" + uri); err == nil {
			r := &http.Request{Host: host, URL: u}
			if got, want := Request(r), oracleURI("http", host, u.RequestURI()); got != want {
				t.Fatalf("Request = %q, want %q", got, want)
			}
		}
	})
}

// The common key, a plain path on a plain host, is built without
// allocating.
func TestAppendRequestAllocatesNothing(t *testing.T) {
	r := httptest.NewRequest("GET", "http://Cache.Test:80/obj/a.txt?x=1", nil)
	var buf [256]byte
	if n := testing.AllocsPerRun(100, func() { _ = AppendRequest(buf[:0], r) }); n != 0 {
		t.Fatalf("AppendRequest allocates %v times", n)
	}
	if got := string(AppendRequest(buf[:0], r)); got != "http://cache.test/obj/a.txt?x=1" {
		t.Fatalf("key %q", got)
	}
}

// plainPath says a path is its own escaped form exactly when net/url's
// EscapedPath agrees, for every byte.
func TestPlainPathAgreesWithEscapedPath(t *testing.T) {
	for c := 0; c < 256; c++ {
		p := "/a" + string(rune(c)) + "b"
		if c >= 0x80 {
			p = "/a" + string([]byte{byte(c)}) + "b"
		}
		u := &url.URL{Path: p}
		if plainPath(p) && u.EscapedPath() != p {
			t.Errorf("byte %#x: plainPath but EscapedPath = %q", c, u.EscapedPath())
		}
		if !plainPath(p) && u.EscapedPath() == p && c != '%' {
			// Not wrong, only slower: note bytes EscapedPath keeps that
			// the table does not know.
			t.Logf("byte %#x kept by EscapedPath, not in the table", c)
		}
	}
}

// plainHost agrees with the byte table at every position of an 8-byte
// word, for every byte.
func TestPlainHostAgreesWithTheTable(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 19; pos++ {
			b := []byte("abcdefghijklmnopqrs")
			b[pos] = byte(c)
			if got, want := plainHost(string(b)), !hostSpecial[c]; got != want {
				t.Fatalf("byte %#x at %d: plainHost %v, want %v", c, pos, got, want)
			}
		}
	}
}
