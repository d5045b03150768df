package cache

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// sinkWriter is the cheapest ResponseWriter: both caches in a comparison
// write to the same kind.
type sinkWriter struct {
	h    http.Header
	code int
	n    int
}

func (s *sinkWriter) Header() http.Header         { return s.h }
func (s *sinkWriter) WriteHeader(c int)           { s.code = c }
func (s *sinkWriter) Write(b []byte) (int, error) { s.n += len(b); return len(b), nil }
func (s *sinkWriter) reset() {
	for k := range s.h {
		delete(s.h, k)
	}
	s.code, s.n = 0, 0
}

// bareCache is the baseline: a map and a mutex in front of the same
// origin, storing whatever comes back, with none of RFC 9111.
type bareCache struct {
	mu        sync.Mutex
	m         map[string]*bareEntry
	transport http.RoundTripper
	origin    *url.URL
}

type bareEntry struct {
	header http.Header
	body   []byte
}

func (c *bareCache) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Host + r.URL.RequestURI()
	c.mu.Lock()
	e := c.m[key]
	c.mu.Unlock()
	if e == nil {
		u := *c.origin
		u.Path = r.URL.Path
		req, _ := http.NewRequest("GET", u.String(), nil)
		resp, err := c.transport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		e = &bareEntry{header: resp.Header, body: b}
		c.mu.Lock()
		c.m[key] = e
		c.mu.Unlock()
	}
	h := w.Header()
	for k, v := range e.header {
		h[k] = v
	}
	w.WriteHeader(200)
	w.Write(e.body)
}

func hitBenchPair(tb testing.TB, bodySize int) (tier, bare http.Handler, req *http.Request) {
	e := newTestEnv()
	e.quiet = true // as env.Real with no recorder: facts are discarded
	o := &origin{}
	body := bytes.Repeat([]byte("x"), bodySize)
	o.handler = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("ETag", `"b"`)
		w.Header().Set("Date", e.Now().Format(http.TimeFormat))
		w.Write(body)
	}
	tt := newTestTier(tb, e, o, nil)
	u, _ := url.Parse("http://origin.test")
	bc := &bareCache{m: map[string]*bareEntry{}, transport: handlerTransport{o}, origin: u}
	req = httptest.NewRequest("GET", "http://cache.test/obj", nil)
	for _, h := range []http.Handler{tt, bc} {
		w := &sinkWriter{h: http.Header{}}
		h.ServeHTTP(w, req) // fill
		w.reset()
		h.ServeHTTP(w, req)
		if w.code != 200 || w.n != bodySize {
			tb.Fatalf("warm-up hit: %d, %d bytes", w.code, w.n)
		}
	}
	return tt, bc, req
}

// BenchmarkHitVsBareMap: a hit at a tier (the full RFC 9111 path: key
// normalization, Vary selection, freshness, Age, Cache-Status) against a
// bare map-and-mutex cache in front of the same origin, alternating, in
// one run. x-vs-bare is the ratio of median times per request (one
// goroutine, so time is CPU); allocs are the tier's per hit.
func BenchmarkHitVsBareMap(b *testing.B) {
	tier, bare, req := hitBenchPair(b, 16<<10)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	w := &sinkWriter{h: http.Header{}}
	const batch = 64
	var tt, tb []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		for j, h := range []http.Handler{tier, bare} {
			if i/batch%2 == 1 {
				h = []http.Handler{bare, tier}[j]
			}
			t0 := time.Now()
			for range batch {
				w.reset()
				h.ServeHTTP(w, req)
			}
			d := time.Since(t0) / batch
			if h == tier {
				tt = append(tt, d)
			} else {
				tb = append(tb, d)
			}
		}
	}
	b.StopTimer()
	mt, mb := medianDur(tt), medianDur(tb)
	b.ReportMetric(float64(mt.Nanoseconds()), "tier-ns/hit")
	b.ReportMetric(float64(mb.Nanoseconds()), "bare-ns/hit")
	b.ReportMetric(float64(mt)/float64(mb), "x-vs-bare")
	allocs := testing.AllocsPerRun(200, func() { w.reset(); tier.ServeHTTP(w, req) })
	b.ReportMetric(allocs, "tier-allocs/hit")
}

func medianDur(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// A hit allocates nothing in proportion to the body: the stored bytes are
// written as they are.
func TestHitDoesNotCopyBody(t *testing.T) {
	perHit := func(size int) float64 {
		tier, _, req := hitBenchPair(t, size)
		w := &sinkWriter{h: http.Header{}}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		const n = 200
		for range n {
			w.reset()
			tier.ServeHTTP(w, req)
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / n
	}
	small, large := perHit(16), perHit(1<<20)
	if large > small+4096 {
		t.Fatalf("a hit on a 1 MiB body allocates %.0f bytes, on 16 bytes %.0f: the body is copied", large, small)
	}
}

// BenchmarkCollapsedVsUncollapsed: 100 concurrent requests for one key at
// a cold tier in front of an origin that takes 20ms, with and without
// collapsing: origin fetches and the median and worst latency.
func BenchmarkCollapsedVsUncollapsed(b *testing.B) {
	for _, collapse := range []bool{true, false} {
		name := "collapsed"
		if !collapse {
			name = "uncollapsed"
		}
		b.Run(name, func(b *testing.B) {
			var fetches atomic.Int64
			originSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fetches.Add(1)
				time.Sleep(20 * time.Millisecond)
				w.Header().Set("Cache-Control", "max-age=3600")
				w.Write(bytes.Repeat([]byte("y"), 32<<10))
			}))
			defer originSrv.Close()
			u, _ := url.Parse(originSrv.URL)
			var lat []time.Duration
			for i := 0; i < b.N; i++ {
				e := env.NewReal(env.RealConfig{Node: "edge", Transport: &http.Transport{MaxIdleConnsPerHost: 200}})
				tier, _ := New(Config{Name: "edge", Env: e, Origin: u, DisableCollapsing: !collapse})
				var wg sync.WaitGroup
				var mu sync.Mutex
				for range 100 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						t0 := time.Now()
						w := &sinkWriter{h: http.Header{}}
						tier.ServeHTTP(w, httptest.NewRequest("GET", "http://cache.test/hot?"+strconv.Itoa(i), nil))
						d := time.Since(t0)
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}()
				}
				wg.Wait()
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(fetches.Load())/float64(b.N), "origin-fetches/100req")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		})
	}
}
