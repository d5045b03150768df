package store

import (
	"fmt"
	"net/http"
	"testing"
)

func obj(key string, body int) *Object {
	return &Object{Key: key, URL: key, Status: 200, Header: http.Header{}, Body: make([]byte, body)}
}

func TestBoundedByBytes(t *testing.T) {
	s := New(64 << 10)
	for i := range 100 {
		if !s.Put(obj(fmt.Sprint("k", i), 1000)) {
			t.Fatalf("put %d refused", i)
		}
		if st := s.Stats(); st.Bytes > st.Capacity {
			t.Fatalf("after %d puts: %d bytes stored, capacity %d", i+1, st.Bytes, st.Capacity)
		}
	}
	st := s.Stats()
	if st.Evictions == 0 || st.Objects == 0 || st.Objects >= 100 {
		t.Fatalf("stats %+v", st)
	}
	if s.Put(obj("huge", 9<<10)) {
		t.Fatal("an object over an eighth of the capacity was stored")
	}
}

// SIEVE keeps an entry that was hit since the hand last passed, and
// evicts the oldest unvisited one.
func TestSieveSparesVisited(t *testing.T) {
	one := obj("k00", 1000).Size()
	s := New(16 * one)
	for i := range 16 {
		s.Put(obj(fmt.Sprintf("k%02d", i), 1000))
	}
	s.Get("k00") // the oldest, but visited
	s.Put(obj("k16", 1000))
	if s.Get("k01") != nil {
		t.Fatal("k01 (the oldest unvisited) survived")
	}
	for i := range 17 {
		if k := fmt.Sprintf("k%02d", i); i != 1 && s.Get(k) == nil {
			t.Fatalf("%s was evicted", k)
		}
	}
}

func TestVariantsAndPurges(t *testing.T) {
	s := New(1 << 20)
	en := obj("http://x/a", 10)
	en.VaryNames, en.VaryValues = []string{"accept-language"}, []string{"en"}
	fr := obj("http://x/a", 10)
	fr.VaryNames, fr.VaryValues = []string{"accept-language"}, []string{"fr"}
	fr.Tags = []string{"t1"}
	s.Put(en)
	s.Put(fr)
	if n := len(s.Get("http://x/a")); n != 2 {
		t.Fatalf("%d variants, want 2", n)
	}
	// A response with another Vary replaces the variants of the old one.
	plain := obj("http://x/a", 10)
	s.Put(plain)
	if vs := s.Get("http://x/a"); len(vs) != 1 || vs[0] != plain {
		t.Fatalf("variants after a Vary change: %v", vs)
	}
	s.Put(fr)
	s.Put(obj("http://x/b", 10))
	s.Put(obj("http://y/c", 10))
	if n := s.DeleteTag("t1"); n != 1 {
		t.Fatalf("tag purge removed %d", n)
	}
	if n := s.DeletePrefix("http://x/"); n != 1 {
		t.Fatalf("prefix purge removed %d", n)
	}
	if st := s.Stats(); st.Objects != 1 || st.Bytes != obj("http://y/c", 10).Size() {
		t.Fatalf("stats %+v", st)
	}
	old := s.Get("http://y/c")[0]
	upd := obj("http://y/c", 20)
	if !s.Replace(old, upd) || s.Replace(old, upd) {
		t.Fatal("Replace must swap once")
	}
	if s.DeleteFunc(func(*Object) bool { return true }) != 1 || s.Stats().Bytes != 0 {
		t.Fatal("purge everything")
	}
}
