package ohttp

import (
	"context"
	"errors"
	"testing"
)

// Wildcard entries match strict subdomains only, whatever the case or a
// trailing dot on either side, and keep their port rule. Kills: the length
// guard loosened (a bare ".cdn.example.com" matching); the suffix taken
// without its dot; entries not lower-cased or not trimmed of their dot; a
// wildcard entry's port ignored.
func TestTargetPolicyWildcardSuffix(t *testing.T) {
	public := []string{"151.101.1.1"}
	p := &TargetPolicy{
		Allow: []string{"*.CDN.Example.com.", "*.port.example:8443"},
		Resolver: fakeResolver{
			"img.cdn.example.com": public, "a.b.cdn.example.com": public, "x.port.example": public,
		},
	}
	for _, authority := range []string{"img.cdn.example.com", "a.b.cdn.example.com", "IMG.CDN.EXAMPLE.COM.", "x.port.example:8443"} {
		if err := p.Check(context.Background(), "https", authority); err != nil {
			t.Errorf("%s: %v, want allowed", authority, err)
		}
	}
	for _, authority := range []string{
		"cdn.example.com", ".cdn.example.com", "xcdn.example.com", "abcdn.example.com", "cdn.example.com.evil.example",
		"img.cdn.example.comx", "img.cdn.example.co", "example.com",
		"x.port.example", "x.port.example:443", "port.example:8443", "img.cdn.example.com:8443",
	} {
		err := p.Check(context.Background(), "https", authority)
		if !errors.Is(err, ErrTargetNotAllowed) && !errors.Is(err, ErrBadAuthority) {
			t.Errorf("%s: %v, want refused by the allow-list", authority, err)
		}
	}
}
