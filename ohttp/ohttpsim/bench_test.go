package ohttpsim

// The benchmark compares the simulated world with the same workload sent
// through the same handlers directly in process: the real ohttp.Client,
// the observing wrappers, ohttp.Relay, ohttp.Gateway and the target, joined
// by an http.RoundTripper that calls the next handler (as httptest does),
// with no simulator, no network and no wire serialization.

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/sim"
)

// benchPlan is 10 clients sending 1000 requests at 100 per second.
const benchPlan = `{"knobs": {"clients": 10, "requests": 100, "rate": 100}}`

func BenchmarkWorld(b *testing.B) {
	p, err := sim.ParsePlan([]byte(benchPlan))
	if err != nil {
		b.Fatal(err)
	}
	var reqs int
	var virt time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Simulate(uint64(i+1), p, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if r.Stats.Answered != r.Stats.Slots {
			b.Fatalf("healthy run lost requests: %s", r.Figures())
		}
		reqs += r.Stats.Answered
		virt += r.Report.End
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(reqs)/sec, "req/s")
	b.ReportMetric(virt.Seconds()/sec, "simsec/s")
}

// hostTransport serves each request with the handler for its host.
type hostTransport struct {
	hosts  map[string]http.Handler
	remote string
}

func (t *hostTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	in := r.Clone(r.Context())
	in.RequestURI = r.URL.RequestURI()
	in.RemoteAddr = t.remote
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.hosts[r.URL.Hostname()].ServeHTTP(rec, in)
	return rec.Result(), nil
}

// events is a recorder that keeps facts, as the trace would.
type events struct{ evs []model.Event }

func (e *events) Record(name string, args ...model.Term) {
	e.evs = append(e.evs, model.Event{Kind: model.Fact, Name: name, Args: args})
}

func directRun(b *testing.B, seed uint64, cfg Config) int {
	rec := &events{}
	now := func() time.Time { return sim.Epoch }
	rng := slotRand(seed, -1)
	key, err := ohttp.GenerateKey(rng, 1, ohttp.KEMX25519HKDFSHA256,
		[]ohttp.SymmetricSuite{{KDF: ohttp.KDFHKDFSHA256, AEAD: ohttp.AEADAES128GCM}})
	if err != nil {
		b.Fatal(err)
	}
	ring, _ := ohttp.NewKeyring(ohttp.KeyringConfig{Now: now, Recorder: rec, Gateway: GatewayNode}, key)
	targetAddr := "10.0.0.3"
	gwNet := &hostTransport{hosts: map[string]http.Handler{targetAddr: observeHandler(rec, targetHandler(rand.NewChaCha8([32]byte{})))}, remote: "10.0.0.2:1"}
	gw := &ohttp.Gateway{Name: GatewayNode, Keys: ring, Transport: &observeTransport{env: rec, rt: gwNet}, Rand: rng, Recorder: rec,
		Policy: &ohttp.TargetPolicy{Allow: []string{targetAddr}, Schemes: []string{"http"}, AllowedPrefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	rlNet := &hostTransport{hosts: map[string]http.Handler{GatewayNode: observeHandler(rec, gw)}, remote: "10.0.0.1:1"}
	rl := &ohttp.Relay{GatewayURL: "http://" + GatewayNode + ohttp.WellKnownPath, GatewayName: GatewayNode,
		Transport: &observeTransport{env: rec, rt: rlNet}, Recorder: rec}
	relayH := observeHandler(rec, rl)
	var clients []*ohttp.Client
	for i := 1; i <= cfg.Clients; i++ {
		addr := netip.AddrFrom4([4]byte{10, 0, 0, byte(3 + i)}).String()
		c := &ohttp.Client{Name: ClientNode(i), GatewayName: GatewayNode, Identity: addr, RelayURL: "http://" + RelayNode + "/",
			Transport: &observeTransport{env: rec, rt: &hostTransport{hosts: map[string]http.Handler{RelayNode: relayH}, remote: addr + ":49152"}, cookie: "session=" + addr, relay: RelayNode},
			Recorder:  rec}
		if err := c.SetKeys(ring.Published()); err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
	}
	answered := 0
	for _, slot := range NewWorkload(seed, cfg) {
		c := clients[slot.Client-1]
		c.Rand = slotRand(seed, slot.Index)
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+targetAddr+slot.Path, bytes.NewReader(slot.Body))
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := c.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if string(body) == echoAnswer(slot.Path, slot.Body) {
			answered++
		}
	}
	return answered
}

func BenchmarkDirect(b *testing.B) {
	p, _ := sim.ParsePlan([]byte(benchPlan))
	cfg, err := ConfigFrom(p)
	if err != nil {
		b.Fatal(err)
	}
	reqs := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := directRun(b, uint64(i+1), cfg)
		if n != cfg.Clients*cfg.Requests {
			b.Fatalf("answered %d", n)
		}
		reqs += n
	}
	b.ReportMetric(float64(reqs)/b.Elapsed().Seconds(), "req/s")
}

// TestSimOverhead alternates the two benchmarks' runs and compares the
// fastest of each (the least disturbed by other load on a shared
// machine), in wall time and in process CPU time. Run it with
// OHTTPSIM_BENCH=1.
func TestSimOverhead(t *testing.T) {
	if os.Getenv("OHTTPSIM_BENCH") == "" {
		t.Skip("set OHTTPSIM_BENCH=1")
	}
	p, _ := sim.ParsePlan([]byte(benchPlan))
	cfg, _ := ConfigFrom(p)
	b := &testing.B{}
	bestW, bestD := time.Duration(1<<62), time.Duration(1<<62)
	cpuW, cpuD := time.Duration(1<<62), time.Duration(1<<62)
	var virt time.Duration
	for i := range 6 {
		c0, t0 := cpuTime(), time.Now()
		r, err := Simulate(uint64(i+1), p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		bestW, cpuW = min(bestW, time.Since(t0)), min(cpuW, cpuTime()-c0)
		virt = r.Report.End
		c0, t0 = cpuTime(), time.Now()
		directRun(b, uint64(i+1), cfg)
		bestD, cpuD = min(bestD, time.Since(t0)), min(cpuD, cpuTime()-c0)
	}
	n := float64(cfg.Clients * cfg.Requests)
	t.Logf("world:  best %v wall (%.0f req/s, %.1f simulated s per wall s), %v CPU", bestW, n/bestW.Seconds(), virt.Seconds()/bestW.Seconds(), cpuW)
	t.Logf("direct: best %v wall (%.0f req/s), %v CPU", bestD, n/bestD.Seconds(), cpuD)
	t.Logf("simulator overhead: %+.0f%% wall, %+.0f%% CPU", 100*(bestW.Seconds()/bestD.Seconds()-1), 100*(cpuW.Seconds()/cpuD.Seconds()-1))
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
