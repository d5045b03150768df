package cache

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// RFC 9110 §9.3.2 with RFC 9111 §4.3.5: a HEAD is answered from a stored
// GET; a HEAD miss fills the store with the GET.
func TestHeadFromStoredGet(t *testing.T) {
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		fresh := reply(e, o, 200, "Cache-Control", "max-age=100", "Content-Length", "6")
		return []scenario{
			{name: "HEAD after GET", steps: []step{
				{originSays: fresh, status: 200, fromOrigin: true},
				{method: "HEAD", status: 200, want: map[string]string{"Content-Length": "6", "Cache-Status": "edge; hit; ttl=100; " + keyR}},
			}},
			{name: "GET after HEAD", steps: []step{
				{method: "HEAD", originSays: func(w http.ResponseWriter, r *http.Request) {
					if r.Method != http.MethodGet {
						t.Errorf("HEAD miss sent %s upstream, want GET", r.Method)
					}
					fresh(w, r)
				}, status: 200, fromOrigin: true, want: map[string]string{"Content-Length": "6"}},
				{status: 200, body: "body 1"},
			}},
		}
	})
}

// RFC 9110 §14: one range of a stored full response is 206; beyond the end
// is 416 with the size; If-Range that does not match gets the whole.
func TestRangeFromStored(t *testing.T) {
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		fresh := reply(e, o, 200, "Cache-Control", "max-age=100", "ETag", `"r"`)
		return []scenario{
			{name: "ranges", steps: []step{
				{originSays: fresh, status: 200, fromOrigin: true},
				{req: []string{"Range", "bytes=0-3"}, status: 206, body: "body", want: map[string]string{"Content-Range": "bytes 0-3/6", "Content-Length": "4"}},
				{req: []string{"Range", "bytes=-1"}, status: 206, body: "1", want: map[string]string{"Content-Range": "bytes 5-5/6"}},
				{req: []string{"Range", "bytes=4-"}, status: 206, body: " 1", want: map[string]string{"Content-Range": "bytes 4-5/6"}},
				{req: []string{"Range", "bytes=10-20"}, status: 416, want: map[string]string{"Content-Range": "bytes */6"}},
				{req: []string{"Range", "bytes=0-1", "If-Range", `"old"`}, status: 200, body: "body 1"},
				{req: []string{"Range", "bytes=0-1", "If-Range", `"r"`}, status: 206, body: "bo"},
				{req: []string{"Range", "bytes=0-1,3-4"}, status: 200, body: "body 1"},
			}},
			{name: "a range miss fetches and stores the whole", steps: []step{
				{req: []string{"Range", "bytes=0-1"}, originSays: func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("Range") != "" {
						t.Error("Range forwarded on a miss")
					}
					fresh(w, r)
				}, status: 206, fromOrigin: true, body: "bo"},
				{status: 200, body: "body 1"},
			}},
		}
	})
}

// RFC 9213: a targeted field rules over Cache-Control and Expires; the
// product's own field over CDN-Cache-Control; an invalid one is ignored.
func TestTargetedCacheControl(t *testing.T) {
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		return []scenario{
			{name: "CDN-Cache-Control max-age over Cache-Control no-store", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "no-store", "CDN-Cache-Control", "max-age=60"), status: 200, fromOrigin: true,
					want: map[string]string{"Cache-Control": "no-store", "CDN-Cache-Control": "max-age=60"}},
				{wait: 30 * time.Second, status: 200, want: map[string]string{"Age": "30", "Cache-Status": "edge; hit; ttl=30; " + keyR}},
			}},
			{name: "CDN-Cache-Control no-store over Cache-Control max-age", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=60", "CDN-Cache-Control", "no-store"), status: 200, fromOrigin: true},
				{status: 200, fromOrigin: true},
			}},
			{name: "Expires ignored when targeted", steps: []step{
				{originSays: reply(e, o, 200, "Expires", t0.Add(time.Hour).Format(http.TimeFormat), "CDN-Cache-Control", "max-age=5"), status: 200, fromOrigin: true},
				{wait: 6 * time.Second, status: 200, fromOrigin: true},
			}},
			{name: "product field over CDN-Cache-Control", steps: []step{
				{originSays: reply(e, o, 200, "CDN-Cache-Control", "max-age=5", "Edgelab-CDN-Cache-Control", "max-age=50"), status: 200, fromOrigin: true},
				{wait: 20 * time.Second, status: 200},
			}},
			{name: "invalid targeted field falls back", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=50", "CDN-Cache-Control", "max-age=\"x"), status: 200, fromOrigin: true},
				{wait: 20 * time.Second, status: 200},
			}},
			{name: "s-maxage and must-revalidate in the targeted field", steps: []step{
				{originSays: reply(e, o, 200, "CDN-Cache-Control", "max-age=5, must-revalidate"), status: 200, fromOrigin: true},
				{wait: 6 * time.Second, req: []string{"Cache-Control", "max-stale"}, status: 200, fromOrigin: true},
			}},
		}
	})
}

// Errors and attacks do not stick: unkeyed headers never reach the origin,
// a method override or a body on GET bypasses the store, oversized headers
// are refused here, and locally generated errors are stored only under a
// negative TTL.
func TestPoisoningDoesNotStick(t *testing.T) {
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		reflectHost := func(w http.ResponseWriter, r *http.Request) {
			reply(e, o, 200, "Cache-Control", "max-age=100", "X-Seen-Host", r.Header.Get("X-Forwarded-Host"))(w, r)
		}
		overrideAware := func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-HTTP-Method-Override") != "" {
				reply(e, o, 405, "Cache-Control", "max-age=100")(w, r)
				return
			}
			reply(e, o, 200, "Cache-Control", "max-age=100")(w, r)
		}
		return []scenario{
			{name: "X-Forwarded-Host stripped", steps: []step{
				{req: []string{"X-Forwarded-Host", "evil.test"}, originSays: reflectHost, status: 200, fromOrigin: true, want: map[string]string{"X-Seen-Host": ""}},
				{status: 200, want: map[string]string{"X-Seen-Host": ""}},
			}},
			{name: "method override bypasses", steps: []step{
				{req: []string{"X-HTTP-Method-Override", "DELETE"}, originSays: overrideAware, status: 405, fromOrigin: true,
					want: map[string]string{"Cache-Status": "edge; fwd=bypass; fwd-status=405; detail=method-override"}},
				{status: 200, fromOrigin: true},
				{req: []string{"X-HTTP-Method-Override", "DELETE"}, status: 405, fromOrigin: true},
				{status: 200},
			}},
			{name: "oversized header refused locally", steps: []step{
				{req: []string{"X-Big", strings.Repeat("a", 40<<10)}, originSays: reply(e, o, 400, "Cache-Control", "max-age=100"), status: 431,
					want: map[string]string{"Cache-Status": "edge; detail=header-too-large", "Cache-Control": "no-store"}},
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=100"), status: 200, fromOrigin: true},
			}},
		}
	})
}

// A GET with a body neither uses the store nor fills it.
func TestGetWithBodyBypasses(t *testing.T) {
	e, o := newTestEnv(), &origin{}
	o.handler = reply(e, o, 200, "Cache-Control", "max-age=100")
	tier := newTestTier(t, e, o, nil)
	do := func(body string) string {
		req, _ := http.NewRequest("GET", "http://cache.test/r", strings.NewReader(body))
		if body == "" {
			req.Body, req.ContentLength = http.NoBody, 0
		}
		rec := newRecorder()
		tier.ServeHTTP(rec, req)
		return rec.Header().Get("Cache-Status")
	}
	if got := do("x=1"); got != "edge; fwd=bypass; fwd-status=200; detail=request-body" {
		t.Fatalf("GET with body: Cache-Status %q", got)
	}
	if got := do(""); !strings.Contains(got, "fwd=uri-miss") || o.count() != 2 {
		t.Fatalf("a GET after a GET with body: %q, origin asked %d", got, o.count())
	}
}

// An upstream failure is not stored unless a negative TTL says so.
func TestLocalErrorsStoredOnlyUnderNegativeTTL(t *testing.T) {
	for _, ttl := range []time.Duration{0, 10 * time.Second} {
		e := newTestEnv()
		tier := newTestTier(t, e, nil, func(c *Config) {
			c.Transport = failingTransport{}
			c.NegativeTTL = ttl
		})
		rec := newRecorder()
		tier.ServeHTTP(rec, mustRequest("GET", "http://cache.test/r"))
		if rec.Code != http.StatusBadGateway {
			t.Fatalf("status %d", rec.Code)
		}
		st := tier.Store().Stats()
		if (st.Objects == 1) != (ttl > 0) {
			t.Fatalf("negative TTL %v: %d objects stored", ttl, st.Objects)
		}
	}
}

// Hits within one second share their Age and Cache-Status values; the
// next second, or another member (here a request's max-stale that admits
// a stale response), gets values of its own, and a hit on a refreshed
// object never sees the old object's.
func TestHitFieldsFollowAgeAndMember(t *testing.T) {
	e, o := newTestEnv(), &origin{}
	o.handler = reply(e, o, 200, "Cache-Control", "max-age=2", "ETag", `"v"`)
	tier := newTestTier(t, e, o, nil)
	get := func(pairs ...string) http.Header {
		r := mustRequest("GET", "http://cache.test/r")
		for i := 0; i+1 < len(pairs); i += 2 {
			r.Header.Set(pairs[i], pairs[i+1])
		}
		w := newRecorder()
		tier.ServeHTTP(w, r)
		return w.Header()
	}
	get()
	a := get()
	e.advance(500 * time.Millisecond)
	b := get()
	if a.Get("Age") != "0" || b.Get("Age") != "0" || &a["Cache-Status"][0] != &b["Cache-Status"][0] {
		t.Fatalf("hits in one second: %v / %v (shared: %v)", a, b, &a["Cache-Status"][0] == &b["Cache-Status"][0])
	}
	e.advance(time.Second)
	if c := get(); c.Get("Age") != "1" || c.Get("Cache-Status") != "edge; hit; ttl=1; "+keyR {
		t.Fatalf("a second later: %v", c)
	}
	e.advance(2 * time.Second)
	if d := get("Cache-Control", "max-stale=10"); d.Get("Age") != "3" || d.Get("Cache-Status") != "edge; hit; ttl=-1; "+keyR {
		t.Fatalf("stale under max-stale: %v", d)
	}
	o.handler = reply(e, o, 304, "Cache-Control", "max-age=50", "ETag", `"v"`)
	if f := get(); f.Get("Age") != "0" || !strings.HasPrefix(f.Get("Cache-Status"), "edge; fwd=stale; fwd-status=304; ttl=50;") {
		t.Fatalf("revalidated: %v", f)
	}
	if g := get(); g.Get("Age") != "0" || g.Get("Cache-Status") != "edge; hit; ttl=50; "+keyR {
		t.Fatalf("hit on the refreshed object: %v", g)
	}
}
