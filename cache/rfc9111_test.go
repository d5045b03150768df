package cache

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// step is one request in an RFC scenario: the clock moves by wait, the
// origin (if asked) answers with originSays, and the client must see
// exactly want (a field mapped to "" must be absent).
type step struct {
	wait       time.Duration
	method     string
	path       string
	req        []string // request header pairs
	originSays http.HandlerFunc
	status     int
	fromOrigin bool // the origin was asked
	want       map[string]string
	body       string // if set, the exact body
}

type scenario struct {
	name  string
	steps []step
	mod   func(*Config)
}

// reply answers with status, header pairs and a body naming the origin's
// request count; Date is the env's clock unless given.
func reply(e *testEnv, o *origin, code int, pairs ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Date", e.Now().Format(http.TimeFormat))
		for i := 0; i+1 < len(pairs); i += 2 {
			if pairs[i] == "Date" {
				h.Del("Date")
			}
		}
		for i := 0; i+1 < len(pairs); i += 2 {
			h.Add(pairs[i], pairs[i+1])
		}
		w.WriteHeader(code)
		if r.Method != http.MethodHead && code != http.StatusNotModified {
			io.WriteString(w, "body "+strconv.Itoa(o.count()))
		}
	}
}

func runScenarios(t *testing.T, build func(e *testEnv, o *origin) []scenario) {
	t.Helper()
	probe := build(newTestEnv(), &origin{})
	for i := range probe {
		t.Run(probe[i].name, func(t *testing.T) {
			e, o := newTestEnv(), &origin{}
			sc := build(e, o)[i]
			tier := newTestTier(t, e, o, sc.mod)
			for n, s := range sc.steps {
				e.advance(s.wait)
				if s.originSays != nil {
					o.mu.Lock()
					o.handler = s.originSays
					o.mu.Unlock()
				}
				method := s.method
				if method == "" {
					method = http.MethodGet
				}
				path := s.path
				if path == "" {
					path = "/r"
				}
				req := httptest.NewRequest(method, "http://cache.test"+path, nil)
				for j := 0; j+1 < len(s.req); j += 2 {
					req.Header.Add(s.req[j], s.req[j+1])
				}
				before := o.count()
				rec := httptest.NewRecorder()
				tier.ServeHTTP(rec, req)
				e.runTasks()
				if rec.Code != s.status {
					t.Fatalf("step %d: status %d, want %d (Cache-Status %q)", n+1, rec.Code, s.status, rec.Header().Get("Cache-Status"))
				}
				if asked := o.count() > before; asked != s.fromOrigin {
					t.Fatalf("step %d: origin asked %v, want %v (Cache-Status %q)", n+1, asked, s.fromOrigin, rec.Header().Get("Cache-Status"))
				}
				for k, v := range s.want {
					got := strings.Join(rec.Header().Values(k), ", ")
					if got != v {
						t.Errorf("step %d: %s = %q, want %q", n+1, k, got, v)
					}
				}
				if s.body != "" && rec.Body.String() != s.body {
					t.Errorf("step %d: body %q, want %q", n+1, rec.Body.String(), s.body)
				}
			}
		})
	}
}

const keyR = `key="http://cache.test/r"`

// RFC 9111 §4.2.1: freshness lifetime from s-maxage, max-age, Expires.
func TestFreshnessLifetime(t *testing.T) {
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		return []scenario{
			{name: "max-age fresh then stale", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=10"), status: 200, fromOrigin: true,
					want: map[string]string{"Cache-Status": "edge; fwd=uri-miss; fwd-status=200; ttl=10; stored; " + keyR, "Age": ""}},
				{wait: 9 * time.Second, status: 200, body: "body 1",
					want: map[string]string{"Cache-Status": "edge; hit; ttl=1; " + keyR, "Age": "9"}},
				{wait: 1 * time.Second, originSays: reply(e, o, 200, "Cache-Control", "max-age=10"), status: 200, fromOrigin: true, body: "body 2",
					want: map[string]string{"Cache-Status": "edge; fwd=stale; fwd-status=200; ttl=10; stored; " + keyR}},
			}},
			{name: "s-maxage over max-age", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=1, s-maxage=100"), status: 200, fromOrigin: true},
				{wait: 50 * time.Second, status: 200, want: map[string]string{"Age": "50", "Cache-Status": "edge; hit; ttl=50; " + keyR}},
			}},
			{name: "Expires minus Date", steps: []step{
				{originSays: reply(e, o, 200, "Expires", t0.Add(30*time.Second).Format(http.TimeFormat)), status: 200, fromOrigin: true},
				{wait: 29 * time.Second, status: 200, want: map[string]string{"Age": "29"}},
				{wait: 2 * time.Second, originSays: reply(e, o, 200), status: 200, fromOrigin: true},
			}},
			{name: "invalid Expires is already expired", steps: []step{
				{originSays: reply(e, o, 200, "Expires", "0"), status: 200, fromOrigin: true},
				{originSays: reply(e, o, 200), status: 200, fromOrigin: true},
			}},
			{name: "max-age beats Expires", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=100", "Expires", t0.Add(-time.Hour).Format(http.TimeFormat)), status: 200, fromOrigin: true},
				{wait: 90 * time.Second, status: 200, want: map[string]string{"Age": "90"}},
			}},
			{name: "max-age=0 always revalidates", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=0"), status: 200, fromOrigin: true},
				{status: 200, fromOrigin: true},
			}},
			{name: "first of repeated max-age wins", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=100, max-age=1"), status: 200, fromOrigin: true},
				{wait: 50 * time.Second, status: 200},
			}},
		}
	})
}

// RFC 9111 §4.2.2: heuristic freshness, 10% of the time since Last-Modified,
// only for heuristically cacheable status codes.
func TestHeuristicFreshness(t *testing.T) {
	lm := t0.Add(-1000 * time.Second).Format(http.TimeFormat)
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		return []scenario{
			{name: "200 with Last-Modified", steps: []step{
				{originSays: reply(e, o, 200, "Last-Modified", lm), status: 200, fromOrigin: true,
					want: map[string]string{"Cache-Status": "edge; fwd=uri-miss; fwd-status=200; ttl=100; stored; " + keyR}},
				{wait: 99 * time.Second, status: 200, want: map[string]string{"Age": "99"}},
				{wait: 2 * time.Second, originSays: reply(e, o, 200), status: 200, fromOrigin: true},
			}},
			{name: "404 is heuristically cacheable", steps: []step{
				{originSays: reply(e, o, 404, "Last-Modified", lm), status: 404, fromOrigin: true},
				{wait: 50 * time.Second, status: 404, want: map[string]string{"Age": "50"}},
			}},
			{name: "302 is not", steps: []step{
				{originSays: reply(e, o, 302, "Last-Modified", lm, "Location", "/x"), status: 302, fromOrigin: true,
					want: map[string]string{"Cache-Status": "edge; fwd=uri-miss; fwd-status=302; key=\"http://cache.test/r\"; detail=not-stored-no-freshness"}},
				{status: 302, fromOrigin: true},
			}},
			{name: "no Last-Modified, no lifetime", steps: []step{
				{originSays: reply(e, o, 200), status: 200, fromOrigin: true},
				{wait: time.Second, status: 200, fromOrigin: true},
			}},
		}
	})
}

// RFC 9111 §4.2.3: Age. A miss passes the origin's Age through; a hit
// reports the corrected initial age plus the time in cache, rounded down.
func TestAgeCalculation(t *testing.T) {
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		return []scenario{
			{name: "origin Age passes through, then adds up", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=100", "Age", "30"), status: 200, fromOrigin: true,
					want: map[string]string{"Age": "30", "Cache-Status": "edge; fwd=uri-miss; fwd-status=200; ttl=70; stored; " + keyR}},
				{wait: 1500 * time.Millisecond, status: 200, want: map[string]string{"Age": "31", "Cache-Status": "edge; hit; ttl=69; " + keyR}},
				{wait: 70 * time.Second, originSays: reply(e, o, 200, "Cache-Control", "max-age=100"), status: 200, fromOrigin: true},
			}},
			{name: "apparent age from an old Date", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=100", "Date", t0.Add(-40*time.Second).Format(http.TimeFormat)), status: 200, fromOrigin: true},
				{wait: 10 * time.Second, status: 200, want: map[string]string{"Age": "50"}},
			}},
			{name: "Age beyond max-age is stale at once", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=100", "Age", "200"), status: 200, fromOrigin: true},
				{status: 200, fromOrigin: true},
			}},
			{name: "first member of a list Age", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=100", "Age", "200, 0"), status: 200, fromOrigin: true},
				{status: 200, fromOrigin: true},
			}},
			{name: "invalid Age ignored", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=100", "Age", "abc"), status: 200, fromOrigin: true},
				{wait: 5 * time.Second, status: 200, want: map[string]string{"Age": "5"}},
			}},
		}
	})
}

// RFC 9111 §4.3: validation with ETag and Last-Modified; §4.3.4 updates the
// stored header from a 304.
func TestValidation(t *testing.T) {
	lm := t0.Add(-time.Hour).Format(http.TimeFormat)
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		notModified := func(pairs ...string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("If-None-Match") != `"v1"` && r.Header.Get("If-Modified-Since") != lm {
					reply(e, o, 200, "Cache-Control", "max-age=10", "ETag", `"v2"`)(w, r)
					return
				}
				reply(e, o, 304, pairs...)(w, r)
			}
		}
		return []scenario{
			{name: "ETag 304 refreshes and updates headers", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=10", "ETag", `"v1"`, "X-Version", "1", "Content-Type", "text/plain"), status: 200, fromOrigin: true},
				{wait: 11 * time.Second, originSays: notModified("Cache-Control", "max-age=20", "ETag", `"v1"`, "X-Version", "2", "Content-Length", "999"), status: 200, fromOrigin: true, body: "body 1",
					want: map[string]string{"X-Version": "2", "Content-Type": "text/plain", "Age": "0",
						"Cache-Status": "edge; fwd=stale; fwd-status=304; ttl=20; " + keyR}},
				{wait: 19 * time.Second, status: 200, body: "body 1", want: map[string]string{"X-Version": "2", "Age": "19", "Cache-Status": "edge; hit; ttl=1; " + keyR}},
			}},
			{name: "Last-Modified validation", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=1", "Last-Modified", lm), status: 200, fromOrigin: true},
				{wait: 2 * time.Second, originSays: notModified("Cache-Control", "max-age=1"), status: 200, fromOrigin: true, body: "body 1"},
			}},
			{name: "a 304 for another representation refetches", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=1", "ETag", `"v1"`), status: 200, fromOrigin: true},
				{wait: 2 * time.Second, originSays: func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("If-None-Match") != "" {
						reply(e, o, 304, "ETag", `"other"`)(w, r)
						return
					}
					reply(e, o, 200, "Cache-Control", "max-age=1", "ETag", `"v3"`)(w, r)
				}, status: 200, fromOrigin: true, body: "body 3", want: map[string]string{"ETag": `"v3"`}},
			}},
			{name: "client If-None-Match answered 304 from store", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=100", "ETag", `"v1"`), status: 200, fromOrigin: true},
				{req: []string{"If-None-Match", `W/"v1"`}, status: 304, want: map[string]string{"ETag": `"v1"`, "Content-Length": "", "Age": "0"}},
				{req: []string{"If-None-Match", `"v9"`}, status: 200},
			}},
			{name: "client conditional on a miss is answered locally", steps: []step{
				{req: []string{"If-None-Match", `"v1"`}, originSays: func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("If-None-Match") != "" {
						t.Error("client's If-None-Match reached the origin on a miss")
					}
					reply(e, o, 200, "Cache-Control", "max-age=100", "ETag", `"v1"`)(w, r)
				}, status: 304, fromOrigin: true},
				{status: 200, body: "body 1"},
			}},
			{name: "If-Modified-Since from store", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=100", "Last-Modified", lm), status: 200, fromOrigin: true},
				{req: []string{"If-Modified-Since", t0.Format(http.TimeFormat)}, status: 304},
				{req: []string{"If-Modified-Since", t0.Add(-2 * time.Hour).Format(http.TimeFormat)}, status: 200},
			}},
		}
	})
}

// RFC 9111 §4.1: Vary selects among stored responses, normalized.
func TestVary(t *testing.T) {
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		vary := func(w http.ResponseWriter, r *http.Request) {
			reply(e, o, 200, "Cache-Control", "max-age=100", "Vary", "Accept-Language", "X-Lang", r.Header.Get("Accept-Language"))(w, r)
		}
		return []scenario{
			{name: "variants", steps: []step{
				{req: []string{"Accept-Language", "en"}, originSays: vary, status: 200, fromOrigin: true, want: map[string]string{"X-Lang": "en"}},
				{req: []string{"Accept-Language", "fr"}, status: 200, fromOrigin: true, want: map[string]string{"X-Lang": "fr",
					"Cache-Status": "edge; fwd=vary-miss; fwd-status=200; ttl=100; stored; " + keyR}},
				{req: []string{"Accept-Language", "en"}, status: 200, want: map[string]string{"X-Lang": "en", "Cache-Status": "edge; hit; ttl=100; " + keyR}},
				{status: 200, fromOrigin: true, want: map[string]string{"X-Lang": ""}},
				{status: 200, want: map[string]string{"X-Lang": ""}},
			}},
			{name: "whitespace and line folding normalized", steps: []step{
				{req: []string{"Accept-Language", "en,fr"}, originSays: vary, status: 200, fromOrigin: true},
				{req: []string{"Accept-Language", "en ,  fr"}, status: 200},
				{req: []string{"Accept-Language", "en", "Accept-Language", "fr"}, status: 200},
				{req: []string{"Accept-Language", "fr,en"}, status: 200, fromOrigin: true},
			}},
			{name: "Vary star is never reused", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=100", "Vary", "*"), status: 200, fromOrigin: true,
					want: map[string]string{"Cache-Status": "edge; fwd=uri-miss; fwd-status=200; " + keyR + "; detail=not-stored-vary-star"}},
				{status: 200, fromOrigin: true},
			}},
		}
	})
}

// RFC 9111 §5.2.2.5, §5.2.2.7, §5.2.2.4, §5.2.2.2, §5.2.2.8, §5.2.2.3:
// no-store, private, no-cache, must-revalidate, proxy-revalidate,
// must-understand.
func TestResponseDirectives(t *testing.T) {
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		return []scenario{
			{name: "no-store", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "no-store, max-age=100"), status: 200, fromOrigin: true,
					want: map[string]string{"Cache-Status": "edge; fwd=uri-miss; fwd-status=200; " + keyR + "; detail=not-stored-no-store"}},
				{status: 200, fromOrigin: true},
			}},
			{name: "private", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "private, max-age=100"), status: 200, fromOrigin: true},
				{status: 200, fromOrigin: true},
			}},
			{name: "private with field names strips them", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", `private="X-Secret", max-age=100`, "X-Secret", "s", "X-Open", "o"), status: 200, fromOrigin: true,
					want: map[string]string{"X-Secret": "s"}},
				{status: 200, want: map[string]string{"X-Secret": "", "X-Open": "o"}},
			}},
			{name: "no-cache revalidates every time", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "no-cache, max-age=100", "ETag", `"a"`), status: 200, fromOrigin: true},
				{originSays: reply(e, o, 304, "ETag", `"a"`), status: 200, fromOrigin: true, body: "body 1",
					want: map[string]string{"Cache-Status": "edge; fwd=request; fwd-status=304; ttl=100; " + keyR}},
			}},
			{name: "no-cache with field names", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", `no-cache="Set-Cookie", max-age=100`, "Set-Cookie", "a=b"), status: 200, fromOrigin: true,
					want: map[string]string{"Set-Cookie": "a=b"}},
				{status: 200, want: map[string]string{"Set-Cookie": ""}},
			}},
			{name: "must-revalidate never serves stale", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=1, must-revalidate"), status: 200, fromOrigin: true},
				{wait: 2 * time.Second, req: []string{"Cache-Control", "max-stale=100"}, originSays: reply(e, o, 200, "Cache-Control", "max-age=1"), status: 200, fromOrigin: true},
			}},
			{name: "proxy-revalidate binds a shared cache", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=1, proxy-revalidate"), status: 200, fromOrigin: true},
				{wait: 2 * time.Second, req: []string{"Cache-Control", "max-stale"}, originSays: reply(e, o, 200), status: 200, fromOrigin: true},
			}},
			{name: "must-understand stores an understood status despite no-store", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "must-understand, no-store, max-age=100"), status: 200, fromOrigin: true},
				{status: 200},
			}},
			{name: "must-understand refuses an unknown status", steps: []step{
				{originSays: reply(e, o, 299, "Cache-Control", "must-understand, max-age=100"), status: 299, fromOrigin: true},
				{status: 299, fromOrigin: true},
			}},
			{name: "Authorization needs public", steps: []step{
				{req: []string{"Authorization", "Basic eDp5"}, originSays: reply(e, o, 200, "Cache-Control", "max-age=100"), status: 200, fromOrigin: true},
				{status: 200, fromOrigin: true, originSays: reply(e, o, 200, "Cache-Control", "public, max-age=100")},
				{req: []string{"Authorization", "Basic eDp5"}, status: 200},
			}},
		}
	})
}

// RFC 9111 §5.2.1: request directives.
func TestRequestDirectives(t *testing.T) {
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		fresh100 := reply(e, o, 200, "Cache-Control", "max-age=100")
		return []scenario{
			{name: "max-age", steps: []step{
				{originSays: fresh100, status: 200, fromOrigin: true},
				{wait: 20 * time.Second, req: []string{"Cache-Control", "max-age=30"}, status: 200},
				{req: []string{"Cache-Control", "max-age=10"}, status: 200, fromOrigin: true},
			}},
			{name: "min-fresh", steps: []step{
				{originSays: fresh100, status: 200, fromOrigin: true},
				{wait: 50 * time.Second, req: []string{"Cache-Control", "min-fresh=40"}, status: 200},
				{req: []string{"Cache-Control", "min-fresh=60"}, status: 200, fromOrigin: true},
			}},
			{name: "max-stale", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=10"), status: 200, fromOrigin: true},
				{wait: 15 * time.Second, req: []string{"Cache-Control", "max-stale=10"}, status: 200,
					want: map[string]string{"Age": "15", "Cache-Status": "edge; hit; ttl=-5; " + keyR}},
				{req: []string{"Cache-Control", "max-stale=2"}, status: 200, fromOrigin: true},
			}},
			{name: "only-if-cached", steps: []step{
				{req: []string{"Cache-Control", "only-if-cached"}, status: 504,
					want: map[string]string{"Cache-Status": "edge; " + keyR + "; detail=only-if-cached", "Content-Type": "application/problem+json"}},
				{originSays: fresh100, status: 200, fromOrigin: true},
				{req: []string{"Cache-Control", "only-if-cached"}, status: 200},
			}},
			{name: "no-cache and Pragma", steps: []step{
				{originSays: fresh100, status: 200, fromOrigin: true},
				{req: []string{"Cache-Control", "no-cache"}, status: 200, fromOrigin: true},
				{req: []string{"Pragma", "no-cache"}, status: 200, fromOrigin: true},
				{req: []string{"Pragma", "no-cache", "Cache-Control", "max-age=100"}, status: 200},
			}},
			{name: "no-store request", steps: []step{
				{req: []string{"Cache-Control", "no-store"}, originSays: fresh100, status: 200, fromOrigin: true},
				{status: 200, fromOrigin: true},
			}},
		}
	})
}

// RFC 9111 §4.4: unsafe methods invalidate the target URI and same-origin
// Location and Content-Location.
func TestInvalidation(t *testing.T) {
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		fresh := reply(e, o, 200, "Cache-Control", "max-age=100")
		return []scenario{
			{name: "POST invalidates the target", steps: []step{
				{originSays: fresh, status: 200, fromOrigin: true},
				{method: "POST", originSays: reply(e, o, 200), status: 200, fromOrigin: true,
					want: map[string]string{"Cache-Status": "edge; fwd=method; fwd-status=200"}},
				{originSays: fresh, status: 200, fromOrigin: true},
			}},
			{name: "Location and Content-Location, same origin only", steps: []step{
				{path: "/a", originSays: fresh, status: 200, fromOrigin: true},
				{path: "/b", status: 200, fromOrigin: true},
				{path: "/c", status: 200, fromOrigin: true},
				{method: "PUT", path: "/x", originSays: reply(e, o, 201, "Location", "/a", "Content-Location", "http://elsewhere.test/b"), status: 201, fromOrigin: true},
				{path: "/a", originSays: fresh, status: 200, fromOrigin: true},
				{path: "/b", status: 200},
				{method: "DELETE", path: "/x", originSays: reply(e, o, 200, "Content-Location", "http://cache.test/c"), status: 200, fromOrigin: true},
				{path: "/c", originSays: fresh, status: 200, fromOrigin: true},
			}},
			{name: "a failed unsafe request invalidates nothing", steps: []step{
				{originSays: fresh, status: 200, fromOrigin: true},
				{method: "POST", originSays: reply(e, o, 500), status: 500, fromOrigin: true},
				{status: 200},
			}},
		}
	})
}

// RFC 5861: stale-while-revalidate (one background revalidation) and
// stale-if-error.
func TestStaleExtensions(t *testing.T) {
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		down := func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }
		return []scenario{
			{name: "stale-while-revalidate", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=10, stale-while-revalidate=30", "ETag", `"a"`), status: 200, fromOrigin: true},
				{wait: 20 * time.Second, originSays: reply(e, o, 304, "ETag", `"a"`, "Cache-Control", "max-age=10, stale-while-revalidate=30"),
					status: 200, fromOrigin: true, // the background revalidation ran
					want: map[string]string{"Age": "20", "Cache-Status": "edge; hit; ttl=-10; " + keyR + "; detail=stale-while-revalidate"}},
				{status: 200, want: map[string]string{"Age": "0", "Cache-Status": "edge; hit; ttl=10; " + keyR}},
			}},
			{name: "past the window it validates in line", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=10, stale-while-revalidate=5"), status: 200, fromOrigin: true},
				{wait: 20 * time.Second, status: 200, fromOrigin: true, want: map[string]string{"Cache-Status": "edge; fwd=stale; fwd-status=200; ttl=10; stored; " + keyR}},
			}},
			{name: "stale-if-error on 5xx", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=10, stale-if-error=60"), status: 200, fromOrigin: true},
				{wait: 30 * time.Second, originSays: down, status: 200, fromOrigin: true, body: "body 1",
					want: map[string]string{"Age": "30", "Cache-Status": "edge; fwd=stale; fwd-status=503; ttl=-20; " + keyR + "; detail=stale-if-error"}},
				{wait: 60 * time.Second, status: 503, fromOrigin: true},
			}},
			{name: "request stale-if-error", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=10"), status: 200, fromOrigin: true},
				{wait: 30 * time.Second, req: []string{"Cache-Control", "stale-if-error=100"}, originSays: down, status: 200, fromOrigin: true},
				{status: 503, fromOrigin: true},
			}},
		}
	})
}

// RFC 9111 §4.2.4: a disconnected cache (the upstream gave no response)
// may serve stale, here within StaleIfDisconnected, unless the response's
// must-revalidate, proxy-revalidate, s-maxage or no-cache (§5.2.2) or the
// request's no-cache, max-age or min-fresh (§5.2.1) forbid it. An error
// response is not a disconnection.
func TestStaleIfDisconnected(t *testing.T) {
	hour := func(c *Config) { c.StaleIfDisconnected = time.Hour }
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		cut := func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }
		down := func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }
		stored := func(cc string) step {
			return step{originSays: reply(e, o, 200, "Cache-Control", cc), status: 200, fromOrigin: true}
		}
		forbidden := func(name, cc string, req ...string) scenario {
			return scenario{name: name, mod: hour, steps: []step{stored(cc),
				{wait: 30 * time.Second, req: req, originSays: cut, status: 502, fromOrigin: true,
					want: map[string]string{"Age": ""}}}}
		}
		return []scenario{
			{name: "serves stale", mod: hour, steps: []step{stored("max-age=10"),
				{wait: 30 * time.Second, originSays: cut, status: 200, fromOrigin: true, body: "body 1",
					want: map[string]string{"Age": "30", "Cache-Status": "edge; fwd=stale; ttl=-20; " + keyR + "; detail=stale-disconnected"}},
			}},
			{name: "not past the window", mod: hour, steps: []step{stored("max-age=10"),
				{wait: time.Hour + 11*time.Second, originSays: cut, status: 502, fromOrigin: true}}},
			{name: "not unless configured", steps: []step{stored("max-age=10"),
				{wait: 30 * time.Second, originSays: cut, status: 502, fromOrigin: true}}},
			{name: "an error response is not a disconnection", mod: hour, steps: []step{stored("max-age=10"),
				{wait: 30 * time.Second, originSays: down, status: 503, fromOrigin: true}}},
			forbidden("must-revalidate", "max-age=10, must-revalidate"),
			forbidden("proxy-revalidate", "max-age=10, proxy-revalidate"),
			forbidden("s-maxage", "s-maxage=10"),
			forbidden("no-cache", "max-age=10, no-cache"),
			forbidden("request no-cache", "max-age=10", "Cache-Control", "no-cache"),
			forbidden("request max-age", "max-age=10", "Cache-Control", "max-age=20"),
			forbidden("request min-fresh", "max-age=10", "Cache-Control", "min-fresh=1"),
			{name: "request max-age it meets", mod: hour, steps: []step{stored("max-age=10"),
				{wait: 30 * time.Second, req: []string{"Cache-Control", "max-age=60"}, originSays: cut, status: 200, fromOrigin: true,
					want: map[string]string{"Age": "30"}}}},
		}
	})
}

// One background revalidation per key, however many requests see the
// stale response meanwhile.
func TestStaleWhileRevalidateOnce(t *testing.T) {
	e, o := newTestEnv(), &origin{}
	o.handler = reply(e, o, 200, "Cache-Control", "max-age=10, stale-while-revalidate=60")
	tier := newTestTier(t, e, o, nil)
	get := func() {
		rec := httptest.NewRecorder()
		tier.ServeHTTP(rec, httptest.NewRequest("GET", "http://cache.test/r", nil))
	}
	get()
	e.advance(20 * time.Second)
	for range 5 {
		get()
	}
	if n := e.runTasks(); n != 1 {
		t.Fatalf("%d background revalidations started, want 1", n)
	}
	if o.count() != 2 {
		t.Fatalf("origin asked %d times, want 2", o.count())
	}
}

// Surrogate-Control (W3C Edge Architecture 1.0): a max-age or no-store
// for every surrogate or targeted at this one rules in place of
// Cache-Control and Expires; one targeted elsewhere is ignored; every
// upstream request announces the tier's capability.
func TestSurrogateControl(t *testing.T) {
	runScenarios(t, func(e *testEnv, o *origin) []scenario {
		return []scenario{
			{name: "max-age alone stores", steps: []step{
				{originSays: reply(e, o, 200, "Surrogate-Control", "max-age=60"), status: 200, fromOrigin: true},
				{wait: 30 * time.Second, status: 200, want: map[string]string{"Cache-Status": "edge; hit; ttl=30; " + keyR, "Surrogate-Control": "max-age=60"}},
			}},
			{name: "over Cache-Control no-store, targeted here", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "no-store", "Surrogate-Control", "max-age=60;edgelab"), status: 200, fromOrigin: true},
				{status: 200},
			}},
			{name: "shorter than Cache-Control", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=3600", "Surrogate-Control", "max-age=1"), status: 200, fromOrigin: true},
				{wait: 2 * time.Second, status: 200, fromOrigin: true},
			}},
			{name: "no-store over a fresh Cache-Control", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=3600", "Surrogate-Control", "no-store"), status: 200, fromOrigin: true},
				{status: 200, fromOrigin: true},
			}},
			{name: "Expires ignored", steps: []step{
				{originSays: reply(e, o, 200, "Surrogate-Control", "max-age=0", "Expires", e.Now().Add(time.Hour).Format(http.TimeFormat)), status: 200, fromOrigin: true},
				{status: 200, fromOrigin: true},
			}},
			{name: "targeted elsewhere: Cache-Control rules", steps: []step{
				{originSays: reply(e, o, 200, "Cache-Control", "max-age=3600", "Surrogate-Control", "no-store;other"), status: 200, fromOrigin: true},
				{status: 200},
			}},
			{name: "max-age=N+M: M serves stale on error", steps: []step{
				{originSays: reply(e, o, 200, "Surrogate-Control", "max-age=10+60"), status: 200, fromOrigin: true},
				{wait: 30 * time.Second, originSays: func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("Surrogate-Capability") != `edgelab="Surrogate/1.0"` {
						t.Errorf("Surrogate-Capability %q", r.Header.Get("Surrogate-Capability"))
					}
					http.Error(w, "down", http.StatusServiceUnavailable)
				}, status: 200, fromOrigin: true, want: map[string]string{"Age": "30"}},
			}},
		}
	})
}
