package status

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMemberString(t *testing.T) {
	cases := []struct {
		m    Member
		want string
	}{
		{Member{Cache: "edge", Hit: true, HasTTL: true, TTL: 30}, "edge; hit; ttl=30"},
		{Member{Cache: "edge", Fwd: FwdURIMiss, FwdStatus: 200, HasTTL: true, TTL: -5, Stored: true, Key: `http://a/"x"`},
			`edge; fwd=uri-miss; fwd-status=200; ttl=-5; stored; key="http://a/\"x\""`},
		{Member{Cache: "lower 1", Fwd: FwdMiss, Collapsed: true, Detail: "origin unreachable"},
			`"lower 1"; fwd=miss; collapsed; detail="origin unreachable"`},
		{Member{Cache: "up", Detail: "control-missing"}, "up; detail=control-missing"},
	}
	for _, c := range cases {
		if got := c.m.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
		back, err := Parse([]string{c.want})
		if err != nil || len(back) != 1 {
			t.Fatalf("Parse(%q): %v, %v", c.want, back, err)
		}
		if diff := cmp.Diff(c.m, back[0]); diff != "" {
			t.Errorf("round trip of %q (-want +got):\n%s", c.want, diff)
		}
	}
}

func TestAppendChains(t *testing.T) {
	up := Member{Cache: "upper", Fwd: FwdURIMiss, Stored: true}
	low := Member{Cache: "lower", Hit: true}
	chain := Append([]string{Append(nil, up)}, low)
	if chain != "upper; fwd=uri-miss; stored, lower; hit" {
		t.Fatalf("chain %q", chain)
	}
	ms, err := Parse([]string{chain})
	if err != nil || len(ms) != 2 || ms[0].Cache != "upper" || ms[1].Cache != "lower" {
		t.Fatalf("Parse(chain) = %v, %v", ms, err)
	}
	// A malformed upstream field is replaced, not extended.
	if got := Append([]string{"(bad"}, low); got != "lower; hit" {
		t.Fatalf("Append to garbage = %q", got)
	}
	if _, err := Parse([]string{"a, (b c)"}); err == nil {
		t.Fatal("an inner list is not a cache entry")
	}
}

// FuzzParse: parsing never panics, and whatever parses renders to a field
// that parses to the same members.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"edge; hit", `a; fwd=uri-miss; fwd-status=200, "b c"; ttl=-1; key="k"`, "x;detail=\"\\\"\"", "(a)", "a;ttl=1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := Parse([]string{s})
		if err != nil {
			return
		}
		if len(ms) == 0 {
			return
		}
		var out string
		for i, m := range ms {
			if i == 0 {
				out = m.String()
				continue
			}
			out = Append([]string{out}, m)
		}
		again, err := Parse([]string{out})
		if err != nil {
			t.Fatalf("rendering %q gave unparsable %q: %v", s, out, err)
		}
		if len(again) != len(ms) {
			t.Fatalf("%q -> %q: %d members, want %d", s, out, len(again), len(ms))
		}
	})
}
