package cachecontrol

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParse(t *testing.T) {
	d := func(n int64) Delta { return Delta{Set: true, Seconds: n} }
	cases := []struct {
		in   []string
		want Directives
	}{
		{[]string{"max-age=60, s-maxage=120"}, Directives{MaxAge: d(60), SMaxAge: d(120)}},
		{[]string{`MAX-AGE="30"`}, Directives{MaxAge: d(30)}},
		{[]string{"max-age=60", "no-store"}, Directives{MaxAge: d(60), NoStore: true}},
		{[]string{"max-age=99999999999"}, Directives{MaxAge: d(MaxDelta)}},
		{[]string{"max-age=-1, max-age=5"}, Directives{Invalid: []string{"max-age"}}},
		{[]string{"max-age=1.5"}, Directives{Invalid: []string{"max-age"}}},
		{[]string{"max-age"}, Directives{Invalid: []string{"max-age"}}},
		{[]string{`no-cache="Set-Cookie, X-A", private`}, Directives{NoCacheFields: []string{"set-cookie", "x-a"}, Private: true}},
		{[]string{`private="a,b"`}, Directives{PrivateFields: []string{"a", "b"}}},
		{[]string{"no-cache"}, Directives{NoCache: true}},
		{[]string{"max-stale, min-fresh=5, only-if-cached"}, Directives{MaxStale: d(MaxDelta), MinFresh: d(5), OnlyIfCached: true}},
		{[]string{"max-stale=7"}, Directives{MaxStale: d(7)}},
		{[]string{"must-revalidate, proxy-revalidate, must-understand, public, immutable, no-transform"},
			Directives{MustRevalidate: true, ProxyRevalidate: true, MustUnderstand: true, Public: true, Immutable: true, NoTransform: true}},
		{[]string{"stale-while-revalidate=30, stale-if-error=60, community=\"UCI\""},
			Directives{StaleWhileRevalidate: d(30), StaleIfError: d(60), Extensions: []string{"community"}}},
		{[]string{`,, ,max-age=1,`}, Directives{MaxAge: d(1)}},
		{[]string{`ext="a,max-age=9", max-age=3`}, Directives{MaxAge: d(3), Extensions: []string{"ext"}}},
		{[]string{`max-age="unterminated`}, Directives{Invalid: []string{"max-age"}}},
		{[]string{""}, Directives{}},
	}
	for _, c := range cases {
		got := Parse(c.in)
		if diff := cmp.Diff(c.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

func TestParseTargeted(t *testing.T) {
	d := func(n int64) Delta { return Delta{Set: true, Seconds: n} }
	cases := []struct {
		in   []string
		want Directives
		ok   bool
	}{
		{[]string{"max-age=60, must-revalidate"}, Directives{MaxAge: d(60), MustRevalidate: true}, true},
		{[]string{"no-store"}, Directives{NoStore: true}, true},
		{[]string{`private=("set-cookie")`}, Directives{PrivateFields: []string{"set-cookie"}}, true},
		{[]string{"max-age=5000000000"}, Directives{MaxAge: d(MaxDelta)}, true},
		{[]string{"max-age=-5"}, Directives{Invalid: []string{"max-age"}}, true},
		{[]string{"max-age=1.5"}, Directives{Invalid: []string{"max-age"}}, true},
		{[]string{"no-store=?0"}, Directives{}, true},
		{[]string{`max-age="x`}, Directives{}, false},
		{[]string{""}, Directives{}, false},
		{nil, Directives{}, false},
		{[]string{"max-age=60;foo=bar"}, Directives{MaxAge: d(60)}, true},
	}
	for _, c := range cases {
		got, ok := ParseTargeted(c.in)
		if ok != c.ok {
			t.Errorf("ParseTargeted(%q) ok = %v, want %v", c.in, ok, c.ok)
		}
		if diff := cmp.Diff(c.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ParseTargeted(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

func TestPragma(t *testing.T) {
	if !PragmaNoCache([]string{"foo, no-cache"}) || PragmaNoCache([]string{"nocache"}) {
		t.Fatal("Pragma no-cache")
	}
}

// FuzzParse: the legacy parser never panics, and parsing is stable under
// rendering the field lines joined.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"max-age=60", `no-cache="a, b"`, `x="\"`, "max-stale", ",,=,", "s-maxage=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := Parse([]string{s})
		b := Parse([]string{s, ""})
		if diff := cmp.Diff(a, b, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("an empty line changed the parse of %q: %s", s, diff)
		}
		for _, v := range []Delta{a.MaxAge, a.SMaxAge, a.MaxStale, a.MinFresh} {
			if v.Set && (v.Seconds < 0 || v.Seconds > MaxDelta) {
				t.Fatalf("%q: delta %d out of range", s, v.Seconds)
			}
		}
	})
}

// FuzzParseTargeted: the RFC 9213 parser never panics, and an accepted
// field yields only in-range deltas.
func FuzzParseTargeted(f *testing.F) {
	for _, s := range []string{"max-age=60", "no-store, max-age=1", `private=("a")`, "max-age=-1", "a=?1;b", `x=:aGk=:`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseTargeted([]string{s})
		if !ok {
			return
		}
		for _, v := range []Delta{d.MaxAge, d.SMaxAge, d.StaleIfError, d.StaleWhileRevalidate} {
			if v.Set && (v.Seconds < 0 || v.Seconds > MaxDelta) {
				t.Fatalf("%q: delta %d out of range", s, v.Seconds)
			}
		}
	})
}

func TestParseSurrogate(t *testing.T) {
	cases := []struct {
		lines                []string
		ok, noStore          bool
		maxAge, staleIfError int64
	}{
		{[]string{"max-age=60"}, true, false, 60, -1},
		{[]string{`content="ESI/1.0", max-age=300+60`}, true, false, 300, 60},
		{[]string{"max-age=60;other"}, false, false, -1, -1},
		{[]string{"max-age=60;edgelab"}, true, false, 60, -1},
		{[]string{"max-age=60;Edgelab, max-age=5"}, true, false, 60, -1},
		{[]string{"no-store;other", "max-age=9"}, true, false, 9, -1},
		{[]string{"no-store-remote"}, true, true, -1, -1},
		{[]string{"no-store"}, true, true, -1, -1},
		{[]string{`content="ESI/1.0"`}, false, false, -1, -1},
		{[]string{"max-age =100"}, false, false, -1, -1},
		{[]string{"max-age=x"}, false, false, -1, -1},
		{nil, false, false, -1, -1},
	}
	for _, c := range cases {
		d, ok := ParseSurrogate(c.lines, "edgelab")
		age, sie := int64(-1), int64(-1)
		if d.MaxAge.Set {
			age = d.MaxAge.Seconds
		}
		if d.StaleIfError.Set {
			sie = d.StaleIfError.Seconds
		}
		if ok != c.ok || d.NoStore != c.noStore || age != c.maxAge || sie != c.staleIfError {
			t.Errorf("%q: ok=%v no-store=%v max-age=%d stale-if-error=%d, want %v %v %d %d",
				c.lines, ok, d.NoStore, age, sie, c.ok, c.noStore, c.maxAge, c.staleIfError)
		}
	}
}
