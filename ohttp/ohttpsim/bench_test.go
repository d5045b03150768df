package ohttpsim

// The benchmarks compare the simulated world with the same workload sent
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
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/plan"
)

// benchPlan is 10 clients sending 1000 requests at 100 per second.
const benchPlan = `{"knobs": {"clients": 10, "requests": 100, "rate": 100}}`

func BenchmarkWorld(b *testing.B) {
	p, err := plan.Parse([]byte(benchPlan))
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
	p, _ := plan.Parse([]byte(benchPlan))
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

// BenchmarkWorldVsDirect measures what the simulator adds: each iteration
// runs the world and the direct baseline once each on the same seed and
// workload, alternating which goes first, and times them separately. It
// reports
//
//	overhead-%     the world's wall time over the direct run's, minus one:
//	               the median over the iterations' pairs
//	cpu-overhead-% the same in process CPU time (less disturbed than wall
//	               time when other processes share the CPUs)
//	simsec/s       simulated seconds per wall second of the world (the
//	               acceleration at the plan's 100 requests per second)
//	req/s          requests answered per wall second, in the world
//	direct-req/s   the same, sent directly
//
// Both sides of a ratio are measured in the same run, close together in
// time, so load from other processes moves them alike; the median drops
// the pairs it disturbed anyway. Use -benchtime=10x or more.
func BenchmarkWorldVsDirect(b *testing.B) {
	p, err := plan.Parse([]byte(benchPlan))
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := ConfigFrom(p)
	if err != nil {
		b.Fatal(err)
	}
	type cost struct{ wall, cpu time.Duration }
	measure := func(f func()) cost {
		// Each run starts from a collected heap, so neither pays for the
		// other's garbage.
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		c0, t0 := cpuTime(), time.Now()
		f()
		return cost{time.Since(t0), cpuTime() - c0}
	}
	var wallW, wallD, virt time.Duration
	var ratios, cpuRatios []float64
	reqs := 0
	for i := 0; i < b.N; i++ {
		seed := uint64(i + 1)
		world := func() {
			r, err := Simulate(seed, p, Options{})
			if err != nil {
				b.Fatal(err)
			}
			if r.Stats.Answered != r.Stats.Slots {
				b.Fatalf("healthy run lost requests: %s", r.Figures())
			}
			virt += r.Report.End
			reqs += r.Stats.Answered
		}
		direct := func() {
			if n := directRun(b, seed, cfg); n != cfg.Clients*cfg.Requests {
				b.Fatalf("answered %d", n)
			}
		}
		var w, d cost
		if i%2 == 0 {
			w = measure(world)
			d = measure(direct)
		} else {
			d = measure(direct)
			w = measure(world)
		}
		wallW += w.wall
		wallD += d.wall
		ratios = append(ratios, w.wall.Seconds()/d.wall.Seconds())
		cpuRatios = append(cpuRatios, w.cpu.Seconds()/d.cpu.Seconds())
	}
	b.ReportMetric(100*(median(ratios)-1), "overhead-%")
	b.ReportMetric(100*(median(cpuRatios)-1), "cpu-overhead-%")
	b.ReportMetric(virt.Seconds()/wallW.Seconds(), "simsec/s")
	b.ReportMetric(float64(reqs)/wallW.Seconds(), "req/s")
	b.ReportMetric(float64(b.N*cfg.Clients*cfg.Requests)/wallD.Seconds(), "direct-req/s")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
