package bhttp

import (
	"net/url"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The fast path in HTTPRequest must build exactly the URL the general
// parser would, for every path it accepts.
func TestPlainPathMatchesParseRequestURI(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.StringMatching(`/[a-zA-Z0-9/._~!$&'()*+,;=:@%?#-]{0,24}`).Draw(t, "path")
		if !plainPath(p) {
			return
		}
		want, err := url.ParseRequestURI(p)
		if err != nil {
			t.Fatalf("plainPath accepted %q, which ParseRequestURI rejects: %v", p, err)
		}
		var got url.URL
		got.Path, got.RawQuery, _ = strings.Cut(p, "?")
		if got.String() != want.String() || got.RequestURI() != want.RequestURI() {
			t.Fatalf("%q: fast path gives %q (%q), parser %q (%q)", p, got.String(), got.RequestURI(), want.String(), want.RequestURI())
		}
	})
}

func TestPlainPathRejects(t *testing.T) {
	for _, p := range []string{"", "*", "x", "/a%20b", "/a#f", "/?", "/a b", "/!"} {
		if plainPath(p) {
			t.Errorf("plainPath(%q) = true", p)
		}
	}
	for _, p := range []string{"/", "/a/b.c", "/q?x=1&y=2", "/~u/-_."} {
		if !plainPath(p) {
			t.Errorf("plainPath(%q) = false", p)
		}
	}
}
