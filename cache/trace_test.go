package cache

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostileTracer does its worst with every span: clears and rewrites the
// headers it is given (what the October 2022 tracing call did to control
// headers), and panics.
type hostileTracer struct {
	mu    sync.Mutex
	spans []Span
}

func (h *hostileTracer) Span(s Span) {
	h.mu.Lock()
	h.spans = append(h.spans, s)
	h.mu.Unlock()
	for k := range s.RequestHeader {
		delete(s.RequestHeader, k)
	}
	for k := range s.ResponseHeader {
		s.ResponseHeader[k] = []string{"tampered"}
	}
	s.RequestHeader.Set("Edgelab-Ctl-Origin", "")
	panic("tracer exploded")
}

// Two runs of the same requests through lower → upper → origin, one
// without a tracer and one with the hostile tracer on both tiers, see the
// same statuses, Cache-Status chains and bodies: the tracer changes
// nothing. The hostile tracer still got one span per request per tier,
// all in one trace.
func TestHostileTracerChangesNothing(t *testing.T) {
	run := func(tr Tracer) []string {
		n := newTierNet(t)
		mod := func(c *Config) { c.Tracer = tr }
		n.add("upper", true, mod)
		n.add("lower", false, mod, "upper")
		var out []string
		for _, p := range []string{"/x", "/x", "/y"} {
			resp, body := n.get("lower", p, "Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			out = append(out, resp.Status+" | "+resp.Header.Get("Cache-Status")+" | "+body)
		}
		return out
	}
	plain := run(nil)
	tr := &hostileTracer{}
	traced := run(tr)
	if strings.Join(plain, "\n") != strings.Join(traced, "\n") {
		t.Fatalf("the tracer changed what the cache did:\nwithout: %q\nwith:    %q", plain, traced)
	}
	// Spans arrive as tasks of their own, after the responses.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		tr.mu.Lock()
		n := len(tr.spans)
		tr.mu.Unlock()
		if n >= 5 {
			break
		}
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.spans) != 5 { // three at the lower tier, two misses at the upper
		t.Fatalf("%d spans, want 5", len(tr.spans))
	}
	bySpan := map[string]Span{}
	for _, s := range tr.spans {
		if s.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Fatalf("span %+v left the client's trace", s)
		}
		bySpan[s.SpanID] = s
	}
	for _, s := range tr.spans {
		if s.Tier == "upper" {
			if p, ok := bySpan[s.ParentID]; !ok || p.Tier != "lower" {
				t.Fatalf("upper span's parent %q is not a lower span", s.ParentID)
			}
		}
	}
}

// A span is a copy: changing it does not reach the live request.
func TestSpanIsACopy(t *testing.T) {
	e, o := newTestEnv(), &origin{}
	o.handler = reply(e, o, 200, "Cache-Control", "max-age=100")
	var got []Span
	tier := newTestTier(t, e, o, func(c *Config) { c.Tracer = tracerFunc(func(s Span) { got = append(got, s) }) })
	req := httptest.NewRequest("GET", "http://cache.test/r", nil)
	req.Header.Set("X-Keep", "1")
	rec := httptest.NewRecorder()
	tier.ServeHTTP(rec, req)
	e.runTasks()
	got[0].RequestHeader.Del("X-Keep")
	got[0].ResponseHeader.Del("Cache-Status")
	if req.Header.Get("X-Keep") != "1" || rec.Header().Get("Cache-Status") == "" {
		t.Fatal("a span shares maps with the live exchange")
	}
	if got[0].Status != http.StatusOK || got[0].CacheStatus == "" {
		t.Fatalf("span %+v", got[0])
	}
}

type tracerFunc func(Span)

func (f tracerFunc) Span(s Span) { f(s) }

// seededEnv is a testEnv whose randomness is a fixed stream, so two tiers
// built on it draw the same trace key.
type seededEnv struct{ *testEnv }

func (seededEnv) Rand() io.Reader { return strings.NewReader(strings.Repeat("k", 64)) }

// The ids a tier sends upstream depend on nothing a tracer does: with and
// without one, the same requests (hits among them, whose spans are
// numbered apart) send the same traceparents, each a valid W3C field with
// ids of the tier's own, none repeated.
func TestTraceparentUpstreamIsTheSameWithATracer(t *testing.T) {
	run := func(tr Tracer) []string {
		e := newTestEnv()
		o := &origin{}
		o.handler = reply(e, o, 200, "Cache-Control", "max-age=100")
		u, _ := url.Parse("http://origin.test")
		tier, err := New(Config{Name: "edge", Env: seededEnv{e}, Origin: u, Transport: handlerTransport{o}, Tracer: tr})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/a", "/a", "/b", "/a", "/c?x", "/b"} {
			tier.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "http://cache.test"+p, nil))
		}
		e.runTasks()
		var tps []string
		for _, r := range o.requests {
			tps = append(tps, r.Header.Get("Traceparent"))
		}
		return tps
	}
	plain := run(nil)
	traced := run(tracerFunc(func(Span) {}))
	if len(plain) != 3 {
		t.Fatalf("%d upstream requests, want 3", len(plain))
	}
	seen := map[string]bool{}
	for i := range plain {
		_, span, _, ok := parseTraceparent(plain[i])
		if !ok {
			t.Fatalf("traceparent %q is not W3C", plain[i])
		}
		if seen[span] {
			t.Fatalf("span id %s sent twice", span)
		}
		seen[span] = true
		if traced[i][:52] != plain[i][:52] || !strings.HasSuffix(traced[i], "-01") || !strings.HasSuffix(plain[i], "-00") {
			t.Fatalf("request %d: %q without a tracer, %q with one", i, plain[i], traced[i])
		}
	}
}

// A hit draws nothing and allocates nothing: no key string, no ids, no
// header values (within a second of the last hit on the object).
func TestHitAllocatesNothing(t *testing.T) {
	tier, _, req := hitBenchPair(t, 1024)
	w := &sinkWriter{h: http.Header{}}
	if n := testing.AllocsPerRun(100, func() { w.reset(); tier.ServeHTTP(w, req) }); n != 0 {
		t.Fatalf("a hit allocates %v times", n)
	}
	if w.h.Get("Age") != "0" || w.h.Get("Cache-Status") != `edge; hit; ttl=3600; key="http://cache.test/obj"` {
		t.Fatalf("hit header %v", w.h)
	}
}
