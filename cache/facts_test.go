package cache

import (
	"net/http/httptest"
	"testing"
	"time"
)

// The facts a tier records follow FactArity, and a miss, a store, a hit, a
// revalidation and an invalidation each leave theirs, in order.
func TestFactsRecorded(t *testing.T) {
	e, o := newTestEnv(), &origin{}
	o.handler = reply(e, o, 200, "Cache-Control", "max-age=10", "ETag", `"f"`)
	tier := newTestTier(t, e, o, nil)
	do := func(method string) {
		rec := httptest.NewRecorder()
		tier.ServeHTTP(rec, httptest.NewRequest(method, "http://cache.test/f", nil))
	}
	do("GET")
	do("GET")
	e.advance(11 * time.Second)
	o.handler = reply(e, o, 304, "ETag", `"f"`)
	do("GET")
	o.handler = reply(e, o, 204)
	do("DELETE")
	var names []string
	for _, ev := range e.facts {
		if n, ok := FactArity[ev.Name]; !ok || n != len(ev.Args) {
			t.Fatalf("fact %s with %d args is not in FactArity (%d)", ev.Name, len(ev.Args), n)
		}
		names = append(names, ev.Name)
	}
	want := []string{FactCacheMiss, FactCacheStore, FactCacheHit, FactCacheRevalidate, FactCacheInvalidate}
	if len(names) != len(want) {
		t.Fatalf("facts %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("facts %v, want %v", names, want)
		}
	}
	if got := e.facts[2].Args[1].Name; got != "http://cache.test/f" {
		t.Fatalf("hit key term %q", got)
	}
}
