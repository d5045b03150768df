package ohttp

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestTargetPolicy(t *testing.T) {
	p := &TargetPolicy{
		Allow: []string{"api.example.com", "*.cdn.example.com", "svc.example.net:8443", "[2001:4860::8888]", "93.184.216.34", "local.example", "rebind.example", "any-port.example:*"},
		Resolver: fakeResolver{
			"api.example.com":        {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"},
			"img.cdn.example.com":    {"151.101.1.1"},
			"svc.example.net":        {"203.0.113.10"},
			"local.example":          {"127.0.0.1"},
			"rebind.example":         {"93.184.216.35", "10.0.0.5"},
			"any-port.example":       {"93.184.216.36"},
			"deep.a.cdn.example.com": {"151.101.1.2"},
		},
	}
	cases := []struct {
		scheme, authority string
		want              error // nil: allowed
	}{
		{"https", "api.example.com", nil},
		{"https", "API.Example.COM.", nil},
		{"https", "api.example.com:443", nil},
		{"https", "api.example.com:0443", nil},
		{"https", "img.cdn.example.com", nil},
		{"https", "deep.a.cdn.example.com", nil},
		{"https", "svc.example.net:8443", nil},
		{"https", "[2001:4860::8888]", nil},
		{"https", "93.184.216.34", nil},
		{"https", "any-port.example:9999", nil},
		// Not on the list.
		{"https", "cdn.example.com", ErrTargetNotAllowed},
		{"https", "evil.com", ErrTargetNotAllowed},
		{"https", "api.example.com.evil.com", ErrTargetNotAllowed},
		{"https", "xcdn.example.com", ErrTargetNotAllowed},
		{"https", "api.example.com:8443", ErrTargetNotAllowed},
		{"https", "svc.example.net", ErrTargetNotAllowed},
		{"http", "api.example.com", ErrSchemeNotAllowed},
		{"ftp", "api.example.com", ErrSchemeNotAllowed},
		// Malformed authorities.
		{"https", "", ErrBadAuthority},
		{"https", "user@api.example.com", ErrBadAuthority},
		{"https", "api.example.com:x", ErrBadAuthority},
		{"https", "api.example.com:99999", ErrBadAuthority},
		{"https", "2001:4860::8888", ErrBadAuthority},
		{"https", "[fe80::1%25eth0]", ErrBadAuthority},
		{"https", "[::1", ErrBadAuthority},
		// On the list, but inward: SSRF refused.
		{"https", "local.example", ErrTargetAddress},
		{"https", "rebind.example", ErrTargetAddress},
	}
	for _, c := range cases {
		err := p.Check(context.Background(), c.scheme, c.authority)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s://%s: %v, want %v", c.scheme, c.authority, err, c.want)
		}
		var te *TargetError
		if err != nil && !errors.As(err, &te) {
			t.Errorf("%s://%s: %T is not a *TargetError", c.scheme, c.authority, err)
		}
	}
}

// TestTargetPolicySSRF: with "*" allowed, every non-public address is
// still refused, as a literal or through a name, unless its range is
// explicitly permitted.
func TestTargetPolicySSRF(t *testing.T) {
	inward := []string{
		"127.0.0.1", "127.5.6.7", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "0.0.0.0", "0.1.2.3", "100.64.0.1", "255.255.255.255", "224.0.0.1", "198.18.0.1", "240.0.0.1",
		"::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"64:ff9b::7f00:1", "64:ff9b::a00:1", "2001:db8::1",
	}
	res := fakeResolver{}
	for i, a := range inward {
		res[("h"+string(rune('a'+i%26)))+string(rune('a'+i/26))+".example"] = []string{a}
	}
	p := &TargetPolicy{Allow: []string{"*"}, Resolver: res}
	for _, a := range inward {
		host := a
		if netip.MustParseAddr(a).Is6() && !netip.MustParseAddr(a).Is4In6() || a == "::" {
			host = "[" + a + "]"
		} else if netip.MustParseAddr(a).Is4In6() {
			host = "[" + a + "]"
		}
		if err := p.Check(context.Background(), "https", host); !errors.Is(err, ErrTargetAddress) {
			t.Errorf("literal %s: %v, want ErrTargetAddress", host, err)
		}
	}
	for name, as := range res {
		if err := p.Check(context.Background(), "https", name); !errors.Is(err, ErrTargetAddress) {
			t.Errorf("%s -> %v: %v, want ErrTargetAddress", name, as, err)
		}
	}
	// Public addresses pass; names that do not resolve, or with no
	// resolver at all, are refused.
	for _, a := range []string{"93.184.216.34", "[2606:2800:220:1::1]", "8.8.8.8"} {
		if err := p.Check(context.Background(), "https", a); err != nil {
			t.Errorf("public %s: %v", a, err)
		}
	}
	if err := p.Check(context.Background(), "https", "nxdomain.example"); !errors.Is(err, ErrTargetResolve) {
		t.Errorf("unresolvable: %v", err)
	}
	if err := (&TargetPolicy{Allow: []string{"*"}}).Check(context.Background(), "https", "api.example.com"); !errors.Is(err, ErrTargetResolve) {
		t.Errorf("no resolver: %v", err)
	}
	// An empty allow-list allows nothing.
	if err := (&TargetPolicy{}).Check(context.Background(), "https", "93.184.216.34"); !errors.Is(err, ErrTargetNotAllowed) {
		t.Errorf("empty allow-list: %v", err)
	}
	// An operator may permit a range explicitly.
	lp := &TargetPolicy{Allow: []string{"127.0.0.1:*"}, Schemes: []string{"http"}, AllowedPrefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	if err := lp.Check(context.Background(), "http", "127.0.0.1:8080"); err != nil {
		t.Errorf("permitted loopback: %v", err)
	}
	if err := lp.Check(context.Background(), "http", "127.0.0.2:8080"); err == nil {
		t.Error("127.0.0.2 allowed beyond the permitted prefix")
	}
	// DialControl applies the same rule to the address actually dialed.
	if err := p.DialControl(context.Background(), "tcp", "10.0.0.1:443", nil); !errors.Is(err, ErrTargetAddress) {
		t.Errorf("DialControl private: %v", err)
	}
	if err := p.DialControl(context.Background(), "tcp", "[::ffff:169.254.169.254]:80", nil); !errors.Is(err, ErrTargetAddress) {
		t.Errorf("DialControl mapped link-local: %v", err)
	}
	if err := p.DialControl(context.Background(), "tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("DialControl public: %v", err)
	}
}
