package authres

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse: any value parses or fails with ErrSyntax; what parses
// formats to a value that parses to the same header.
func FuzzParse(f *testing.F) {
	f.Add("example.com; spf=pass smtp.mailfrom=a@example.net; dkim=fail reason=\"x\" header.d=b")
	f.Add("example.com (comment (nested)) 1; none")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, err := Parse(h.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok, its String %q does not parse: %v", s, h.String(), err)
		}
		if d := cmp.Diff(h, again); d != "" {
			t.Fatalf("round trip of %q: %s", s, d)
		}
	})
}
