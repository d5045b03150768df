package control

import (
	"errors"
	"net/http"
	"testing"
)

var key = []byte("0123456789abcdef0123456789abcdef")

func TestAttachRead(t *testing.T) {
	c := Context{OriginHost: "origin.example:8080", Scheme: "http", Zone: "z", Route: "r7", Hops: 1, Path: []string{"lower-1"}}
	h := http.Header{}
	Attach(h, c, key, "GET", "/a?b")
	got, err := Read(h, key, "GET", "/a?b")
	if err != nil || got.OriginHost != c.OriginHost || got.Zone != "z" || got.Route != "r7" || got.Hops != 1 || len(got.Path) != 1 {
		t.Fatalf("Read = %+v, %v", got, err)
	}
	next := got.Next("hub")
	if next.Hops != 2 || len(next.Path) != 2 || len(got.Path) != 1 {
		t.Fatalf("Next = %+v (and the original %+v)", next, got)
	}
	cases := []struct {
		name   string
		mutate func(http.Header)
		method string
		target string
		want   error
	}{
		{"none", func(h http.Header) { Strip(h) }, "GET", "/a?b", ErrMissing},
		{"other target", nil, "GET", "/a", ErrMAC},
		{"other method", nil, "POST", "/a?b", ErrMAC},
		{"changed origin", func(h http.Header) { h.Set(FieldHost, "evil.example") }, "GET", "/a?b", ErrMAC},
		{"changed hops", func(h http.Header) { h.Set(FieldHops, "2") }, "GET", "/a?b", ErrMAC},
		{"bad hops", func(h http.Header) { h.Set(FieldHops, "x") }, "GET", "/a?b", ErrMalformed},
		{"two origins", func(h http.Header) { h.Add(FieldHost, "b") }, "GET", "/a?b", ErrMalformed},
		{"no mac", func(h http.Header) { h.Del(FieldMAC) }, "GET", "/a?b", ErrMalformed},
	}
	for _, tc := range cases {
		h := http.Header{}
		Attach(h, c, key, "GET", "/a?b")
		if tc.mutate != nil {
			tc.mutate(h)
		}
		if _, err := Read(h, key, tc.method, tc.target); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	for _, bad := range []Context{{OriginHost: "", Scheme: "http", Hops: 1}, {OriginHost: "a b", Scheme: "http", Hops: 1},
		{OriginHost: "a", Scheme: "ftp", Hops: 1}, {OriginHost: "a:0", Scheme: "http", Hops: 1}} {
		h := http.Header{}
		Attach(h, bad, key, "GET", "/")
		if _, err := Read(h, key, "GET", "/"); !errors.Is(err, ErrMalformed) {
			t.Errorf("%+v: %v, want ErrMalformed", bad, err)
		}
	}
	h = http.Header{}
	Attach(h, Context{OriginHost: "a", Scheme: "http", Hops: MaxHops + 1}, key, "GET", "/")
	if _, err := Read(h, key, "GET", "/"); !errors.Is(err, ErrHops) {
		t.Errorf("hops: %v", err)
	}
}
