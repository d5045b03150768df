package spf

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// FuzzExpand: any macro-string expands or fails with errMacro, never
// panics; a string without '%' expands to itself when it is valid.
func FuzzExpand(f *testing.F) {
	f.Add("%{ir}.%{v}._spf.%{d2}", true)
	f.Add("%{L-}=%{S}@%{o3r+}%%%_%-", false)
	f.Add("%{t} %{c} %{r}", true)
	f.Add("%{p}%{l0}", false)
	m := macroEnv{sender: "strong-bad@email.example.com", local: "strong-bad", senderDomain: "email.example.com",
		domain: "email.example.com", ip: net.ParseIP("2001:db8::cb01"), helo: "mx.example.org", now: time.Unix(1, 0)}
	f.Fuzz(func(t *testing.T, s string, explain bool) {
		out, err := expand(s, m, explain)
		if err != nil {
			if !errors.Is(err, errMacro) {
				t.Fatalf("expand(%q): untyped error %v", s, err)
			}
			return
		}
		if !strings.Contains(s, "%") && out != s {
			t.Fatalf("expand(%q) = %q", s, out)
		}
	})
}

// RFC 7208 §7.4's examples.
func TestMacroExamples(t *testing.T) {
	m := macroEnv{sender: "strong-bad@email.example.com", local: "strong-bad", senderDomain: "email.example.com",
		domain: "email.example.com", ip: net.ParseIP("192.0.2.3")}
	for in, want := range map[string]string{
		"%{s}":                              "strong-bad@email.example.com",
		"%{o}":                              "email.example.com",
		"%{d}":                              "email.example.com",
		"%{d4}":                             "email.example.com",
		"%{d3}":                             "email.example.com",
		"%{d2}":                             "example.com",
		"%{d1}":                             "com",
		"%{dr}":                             "com.example.email",
		"%{d2r}":                            "example.email",
		"%{l}":                              "strong-bad",
		"%{l-}":                             "strong.bad",
		"%{lr}":                             "strong-bad",
		"%{lr-}":                            "bad.strong",
		"%{l1r-}":                           "strong",
		"%{ir}.%{v}._spf.%{d2}":             "3.2.0.192.in-addr._spf.example.com",
		"%{lr-}.lp._spf.%{d2}":              "bad.strong.lp._spf.example.com",
		"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}":   "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
		"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}":  "3.2.0.192.in-addr.strong.lp._spf.example.com",
		"%{d2}.trusted-domains.example.net": "example.com.trusted-domains.example.net",
	} {
		if got, err := expand(in, m, false); err != nil || got != want {
			t.Errorf("expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	m.ip = net.ParseIP("2001:db8::cb01")
	if got, _ := expand("%{ir}.%{v}._spf.%{d2}", m, false); got != "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com" {
		t.Errorf("IPv6 %%{ir}: %q", got)
	}
	for _, bad := range []string{"%{t}", "%{c}", "%{x}", "%{d0}", "%{", "%", "%a"} {
		if _, err := expand(bad, m, false); !errors.Is(err, errMacro) {
			t.Errorf("expand(%q) accepted", bad)
		}
	}
}
