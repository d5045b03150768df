package sim

// Benchmarks that measure the simulator against the bare mechanism it is
// built on, in the same run, and report the ratio as "x-vs-baseline":
//
//	kernel events    vs  a container/heap loop doing the same pushes and pops
//	task switches    vs  raw iter.Pull round trips
//	HTTP exchanges   vs  Request.Write + ReadRequest + handler + Response.Write + ReadResponse
//
// Each benchmark times both sides over b.N operations and reports
// sim-ns/op, base-ns/op and their ratio x-vs-baseline (medians of
// batches; lower is better, 1 means no overhead), plus x-mean, the ratio of
// total times. The two sides run interleaved in batches,
// so a machine shared with other work slows both alike and the ratio stays
// meaningful.

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"io"
	"iter"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// batch is how many operations each side runs before the other's turn.
const batch = 64

// interleave runs simBatch and baseBatch alternately, each for up to batch
// operations, until b.N of each have run. It reports the median per-batch
// cost of each side and their ratio: on a machine shared with other work,
// a batch that was preempted is an outlier the median ignores.
func interleave(b *testing.B, simBatch, baseBatch func(k int)) {
	var simT, baseT []float64
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		k := min(batch, b.N-done)
		t0 := time.Now()
		simBatch(k)
		t1 := time.Now()
		baseBatch(k)
		t2 := time.Now()
		simT = append(simT, float64(t1.Sub(t0))/float64(k))
		baseT = append(baseT, float64(t2.Sub(t1))/float64(k))
	}
	b.StopTimer()
	// The mean ratio counts every stall (preemption by other work, but
	// also the collector scanning the simulator's growing trace).
	meanRatio := sum(simT) / sum(baseT)
	sm, bm := median(simT), median(baseT)
	b.ReportMetric(sm, "sim-ns/op")
	b.ReportMetric(bm, "base-ns/op")
	b.ReportMetric(sm/bm, "x-vs-baseline")
	b.ReportMetric(meanRatio, "x-mean")
}

func sum(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// benchDeltas are the reschedule delays both sides use.
var benchDeltas = func() []time.Duration {
	r := New(Config{Seed: 1}).Rand("bench")
	d := make([]time.Duration, 4096)
	for i := range d {
		d[i] = time.Duration(r.Int64N(int64(time.Second)))
	}
	return d
}()

const benchTimers = 1024

// benchTimer is a kernel action that reschedules itself when it fires.
type benchTimer struct {
	s *Sim
	i int
}

func (t *benchTimer) fire(s *Sim, _ uint64) {
	t.i++
	s.push(s.now+benchDeltas[t.i&4095], t, 0)
}
func (t *benchTimer) dead(uint64) bool { return false }

type baseItem struct {
	at  time.Duration
	seq uint64
	i   int
}
type baseHeap []baseItem

func (h baseHeap) Len() int { return len(h) }
func (h baseHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].seq < h[j].seq)
}
func (h baseHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *baseHeap) Push(x any)   { *h = append(*h, x.(baseItem)) }
func (h *baseHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func BenchmarkKernelEventsVsHeap(b *testing.B) {
	b.ReportAllocs()
	s := New(Config{Seed: 1})
	for i := range benchTimers {
		s.push(benchDeltas[i], &benchTimer{s: s, i: i}, 0)
	}
	h := &baseHeap{}
	var seq uint64
	for i := range benchTimers {
		seq++
		heap.Push(h, baseItem{at: benchDeltas[i], seq: seq, i: i})
	}
	interleave(b, func(k int) {
		for range k {
			s.step(math.MaxInt64)
		}
	}, func(k int) {
		for range k {
			it := heap.Pop(h).(baseItem)
			it.i++
			seq++
			heap.Push(h, baseItem{at: it.at + benchDeltas[it.i&4095], seq: seq, i: it.i})
		}
	})
}

func BenchmarkTaskSwitchVsPull(b *testing.B) {
	b.ReportAllocs()
	s := New(Config{Seed: 1})
	env := s.AddNode("a").Env()
	env.Go("switcher", func() {
		for {
			env.Sleep(0)
		}
	})
	s.step(0) // start the task: its first run is not a switch
	defer s.Close()

	seq := func(yield func(struct{}) bool) {
		for yield(struct{}{}) {
		}
	}
	next, stop := iter.Pull(iter.Seq[struct{}](seq))
	defer stop()
	next()
	interleave(b, func(k int) {
		for range k {
			s.step(0)
		}
	}, func(k int) {
		for range k {
			next()
		}
	})
}

var pongHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "pong "+r.URL.Query().Get("seq"))
})

func BenchmarkHTTPExchangeVsDirect(b *testing.B) {
	b.ReportAllocs()
	s := New(Config{Seed: 1})
	srv, cli := s.AddNode("server"), s.AddNode("client")
	srv.HostHTTP(80, pongHandler)
	env := cli.Env()
	tr := env.Transport()
	exchanges := 0
	env.Go("client", func() {
		for {
			ctx, cancel := env.WithTimeout(context.Background(), time.Second)
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://server/ping?seq=1", nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				panic(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			cancel()
			exchanges++
		}
	})
	defer s.Close()

	var reqBuf, respBuf bytes.Buffer
	interleave(b, func(k int) {
		target := exchanges + k
		for exchanges < target {
			s.step(math.MaxInt64)
		}
	}, func(k int) {
		for range k {
			req, _ := http.NewRequest("GET", "http://server/ping?seq=1", nil)
			reqBuf.Reset()
			req.Write(&reqBuf)
			sreq, err := http.ReadRequest(bufio.NewReader(&reqBuf))
			if err != nil {
				b.Fatal(err)
			}
			rec := httptest.NewRecorder()
			pongHandler.ServeHTTP(rec, sreq)
			respBuf.Reset()
			rec.Result().Write(&respBuf)
			resp, err := http.ReadResponse(bufio.NewReader(&respBuf), req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
