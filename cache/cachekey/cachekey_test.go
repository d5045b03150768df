package cachekey

import (
	"net/http"
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
