package cache

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// gatedOrigin answers every request with header first, then waits for the
// gate before the rest of the body.
type gatedOrigin struct {
	fetches atomic.Int64
	once    sync.Once
	gate    chan struct{}
	cc      string
	fail    atomic.Bool // the next request gets its connection cut
}

func (g *gatedOrigin) open() { g.once.Do(func() { close(g.gate) }) }

func (g *gatedOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.fetches.Add(1)
	if g.fail.CompareAndSwap(true, false) {
		<-g.gate
		panic(http.ErrAbortHandler)
	}
	w.Header().Set("Cache-Control", g.cc)
	w.Header().Set("Content-Length", "10")
	w.WriteHeader(200)
	io.WriteString(w, "first")
	w.(http.Flusher).Flush()
	<-g.gate
	io.WriteString(w, "-last")
}

func startCollapseNet(t *testing.T, cc string) (*gatedOrigin, string) {
	g, _, base := startCollapseTier(t, cc)
	return g, base
}

// startCollapseTier is startCollapseNet that also hands out the tier, for
// tests that must see its flights.
func startCollapseTier(t *testing.T, cc string) (*gatedOrigin, *Tier, string) {
	g := &gatedOrigin{gate: make(chan struct{}), cc: cc}
	os := httptest.NewServer(g)
	t.Cleanup(os.Close)
	t.Cleanup(g.open) // runs first: a failed test must not hold the origin
	u, _ := url.Parse(os.URL)
	e := env.NewReal(env.RealConfig{Node: "edge", Transport: &http.Transport{MaxIdleConnsPerHost: 200}})
	tier, err := New(Config{Name: "edge", Env: e, Origin: u})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(tier)
	t.Cleanup(ts.Close)
	return g, tier, ts.URL
}

// flightWaiters counts the requests queued behind the fetch of every key
// in flight on tier.
func flightWaiters(tier *Tier) int {
	tier.mu.Lock()
	defer tier.mu.Unlock()
	n := 0
	for _, f := range tier.flights {
		f.mu.Lock()
		n += len(f.waiters)
		f.mu.Unlock()
	}
	return n
}

type result struct {
	status, cacheStatus, body string
	err                       error
}

func getAll(ctx context.Context, base string, n int) chan result {
	out := make(chan result, n)
	for range n {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", base+"/one", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				out <- result{err: err}
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			out <- result{resp.Status, resp.Header.Get("Cache-Status"), string(b), err}
		}()
	}
	return out
}

// waitFor polls cond for up to 5 seconds of real time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// 50 concurrent misses for one key make one origin fetch; every waiter gets
// the same body, and says collapsed.
func TestCollapsedMisses(t *testing.T) {
	g, tier, base := startCollapseTier(t, "max-age=100")
	res := getAll(context.Background(), base, 50)
	waitFor(t, "the first fetch", func() bool { return g.fetches.Load() == 1 })
	// Every other request queues behind it before the origin answers:
	// on a loaded machine a fixed pause let them all arrive as hits.
	waitFor(t, "49 waiters", func() bool { return flightWaiters(tier) == 49 })
	g.open()
	collapsed := 0
	for range 50 {
		r := <-res
		if r.err != nil || r.body != "first-last" || r.status != "200 OK" {
			t.Fatalf("%+v", r)
		}
		if strings.Contains(r.cacheStatus, "; collapsed") {
			collapsed++
		}
	}
	if g.fetches.Load() != 1 || collapsed != 49 {
		t.Fatalf("%d origin fetches, %d collapsed responses", g.fetches.Load(), collapsed)
	}
}

// A waiter receives the body as it streams: the first bytes arrive while
// the origin still holds the rest.
func TestCollapsedWaitersStream(t *testing.T) {
	g, base := startCollapseNet(t, "max-age=100")
	leader := getAll(context.Background(), base, 1)
	waitFor(t, "the leader's fetch", func() bool { return g.fetches.Load() == 1 })
	resp, err := http.Get(base + "/one")
	if err != nil {
		t.Fatalf("waiter: %v", err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first" {
		t.Fatalf("first bytes %q, %v", buf, err)
	}
	if !strings.Contains(resp.Header.Get("Cache-Status"), "collapsed") {
		t.Fatalf("Cache-Status %q", resp.Header.Get("Cache-Status"))
	}
	g.open()
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != "-last" || (<-leader).body != "first-last" {
		t.Fatalf("rest %q", rest)
	}
}

// An uncacheable response sends the waiters to fetch on their own.
func TestCollapseReleasesOnUncacheable(t *testing.T) {
	g, base := startCollapseNet(t, "no-store")
	res := getAll(context.Background(), base, 10)
	waitFor(t, "the first fetch", func() bool { return g.fetches.Load() >= 1 })
	g.open()
	for range 10 {
		if r := <-res; r.err != nil || r.body != "first-last" {
			t.Fatalf("%+v", r)
		}
	}
	if g.fetches.Load() != 10 {
		t.Fatalf("%d fetches, want 10 (each alone)", g.fetches.Load())
	}
}

// A leader whose upstream fails before a response releases its waiters,
// who fetch alone; a leader whose client leaves does not take the shared
// fetch with it.
func TestCollapseSurvivesLeaderFailureAndDisconnect(t *testing.T) {
	g, base := startCollapseNet(t, "max-age=100")
	g.fail.Store(true)
	res := getAll(context.Background(), base, 5)
	waitFor(t, "the failing fetch", func() bool { return g.fetches.Load() == 1 })
	time.Sleep(20 * time.Millisecond)
	g.open()
	ok := 0
	for range 5 {
		if r := <-res; r.err == nil && r.body == "first-last" {
			ok++
		}
	}
	if ok < 4 {
		t.Fatalf("only %d of the waiters got the body after the leader failed", ok)
	}

	g2, base2 := startCollapseNet(t, "max-age=100")
	ctx, cancel := context.WithCancel(context.Background())
	leader := getAll(ctx, base2, 1)
	waitFor(t, "the leader's fetch", func() bool { return g2.fetches.Load() == 1 })
	waiters := getAll(context.Background(), base2, 3)
	time.Sleep(20 * time.Millisecond)
	cancel()
	<-leader
	g2.open()
	var wg sync.WaitGroup
	for range 3 {
		if r := <-waiters; r.err != nil || r.body != "first-last" {
			t.Fatalf("after the leader's client left: %+v", r)
		}
	}
	wg.Wait()
	if g2.fetches.Load() != 1 {
		t.Fatalf("%d fetches", g2.fetches.Load())
	}
}
