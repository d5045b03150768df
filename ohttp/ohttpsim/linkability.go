package ohttpsim

// This file is property 3: how well a timing adversary that watches both
// sides of the relay links requests to clients, against the relay's
// batching and random delay (ohttp.Mixer, the relay's own code).
//
// The adversary sees, from the trace's network events, each request's
// arrival at the relay's port 80 with its sender, and each request's
// departure towards the gateway, without the sender. It guesses FIFO:
// each departure came from the earliest arrival not yet matched — exactly
// right for a relay that forwards in order at once. Its accuracy is
// scored against the relay's own RelayForward facts (whose ~cid says who
// really sent each forwarded request); chance is 1/clients, and the
// advantage is accuracy minus chance.

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/sim/plan"
)

// Linkage is the adversary's score on one run.
type Linkage struct {
	Forwarded, Correct int
	Accuracy, Chance   float64
	Advantage          float64
	// Latency is the clients' mean request latency (send to answer).
	Latency time.Duration
}

// Link scores the timing adversary on r.
func Link(r *Result) Linkage {
	type arrival struct {
		at     time.Duration
		client string
		used   bool
	}
	arrivals := map[string][]*arrival{} // by relay
	byDigest := map[string]string{}
	for i := 1; i <= r.Config.Clients; i++ {
		n := ClientNode(i)
		byDigest[ohttp.ClientIdentity(r.Addrs[n]).Digest] = n
	}
	type departure struct {
		at            time.Duration
		relay, client string
	}
	isRelay := map[string]bool{}
	for _, rl := range r.Config.relays() {
		isRelay[rl] = true
	}
	var deps []departure
	sent := map[string]time.Duration{}
	var total time.Duration
	answered := 0
	for i := range r.Trace.Events {
		e := &r.Trace.Events[i]
		switch {
		case e.Kind == model.Deliver && isRelay[e.Node] && e.Name == "http-request" &&
			strings.HasPrefix(e.Attrs["from"], "client-") && strings.HasSuffix(e.Attrs["dst"], ":80"):
			arrivals[e.Node] = append(arrivals[e.Node], &arrival{at: e.At, client: e.Attrs["from"]})
		case e.Kind == model.Fact && e.Name == ohttp.FactRelayForward && len(e.Args) == 3:
			deps = append(deps, departure{at: e.At, relay: e.Node, client: byDigest[e.Args[0].Digest]})
		case e.Kind == model.Fact && e.Name == ohttp.FactClientSend && len(e.Args) == 4:
			sent[e.Node+e.Args[2].Digest] = e.At
		case e.Kind == model.Fact && e.Name == ohttp.FactClientRecv && len(e.Args) == 4:
			if t, ok := sent[e.Node+e.Args[2].Digest]; ok {
				total += e.At - t
				answered++
			}
		}
	}
	for _, as := range arrivals {
		sort.SliceStable(as, func(i, j int) bool { return as[i].at < as[j].at })
	}
	// Chance is a guess among the clients of the departure's relay.
	perRelay := float64(r.Config.Clients) / float64(r.Config.Relays)
	l := Linkage{Forwarded: len(deps), Chance: 1 / perRelay}
	next := map[string]int{}
	for _, d := range deps {
		as, n := arrivals[d.relay], next[d.relay]
		for n < len(as) && as[n].used {
			n++
		}
		next[d.relay] = n
		if n < len(as) && as[n].at <= d.at {
			as[n].used = true
			if as[n].client == d.client {
				l.Correct++
			}
		}
	}
	if l.Forwarded > 0 {
		l.Accuracy = float64(l.Correct) / float64(l.Forwarded)
	}
	l.Advantage = l.Accuracy - l.Chance
	if answered > 0 {
		l.Latency = total / time.Duration(answered)
	}
	return l
}

// CurvePoint is the adversary's score at one mixing setting, over seeds:
// the pooled Linkage, and the spread of the per-seed figures.
type CurvePoint struct {
	Batch int
	Delay time.Duration
	// Clients and Requests (per client) are the workload; Seeds how many
	// runs the point pools.
	Clients, Requests, Seeds int
	Linkage
	// Advantage and Latency over the seeds, one run each.
	AdvantageSpread, LatencySpread Spread
}

// Spread summarizes one figure over a point's seeds.
type Spread struct {
	Min, Max, SD float64 // SD is the sample standard deviation (0 for one seed)
}

func spreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	s := Spread{Min: xs[0], Max: xs[0]}
	mean := 0.0
	for _, x := range xs {
		s.Min, s.Max = min(s.Min, x), max(s.Max, x)
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) > 1 {
		v := 0.0
		for _, x := range xs {
			v += (x - mean) * (x - mean)
		}
		s.SD = math.Sqrt(v / float64(len(xs)-1))
	}
	return s
}

// CurveConfig is the experiment: the workload and the settings swept.
type CurveConfig struct {
	Clients, Requests int
	Rate              float64
	Batches           []int
	Delays            []time.Duration
	Seeds             []uint64
}

// DefaultCurve is the experiment `edgelab experiment ohttp linkability` runs: ten clients
// at 100 requests per second in all, on a healthy network.
func DefaultCurve() CurveConfig {
	return CurveConfig{
		Clients: 10, Requests: 20, Rate: 100,
		Batches: []int{1, 2, 4, 8, 16, 32},
		Delays:  []time.Duration{0, 20 * time.Millisecond},
		Seeds:   []uint64{1, 2, 3},
	}
}

// Curve runs the experiment.
func Curve(cc CurveConfig) ([]CurvePoint, error) {
	var out []CurvePoint
	for _, d := range cc.Delays {
		for _, k := range cc.Batches {
			p := CurvePoint{Batch: k, Delay: d, Clients: cc.Clients, Requests: cc.Requests, Seeds: len(cc.Seeds)}
			var lat time.Duration
			var advs, lats []float64
			for _, seed := range cc.Seeds {
				pl, err := plan.Parse([]byte(fmt.Sprintf(
					`{"knobs": {"clients": %d, "requests": %d, "rate": %g, "batch": %d, "delay": %q, "batch_timeout": "1s", "timeout": "5s"}}`,
					cc.Clients, cc.Requests, cc.Rate, k, d.String())))
				if err != nil {
					return nil, err
				}
				r, err := Simulate(seed, pl, Options{})
				if err != nil {
					return nil, err
				}
				l := Link(r)
				advs = append(advs, l.Advantage)
				lats = append(lats, msf(l.Latency))
				p.Forwarded += l.Forwarded
				p.Correct += l.Correct
				p.Chance = l.Chance
				lat += l.Latency
			}
			if p.Forwarded > 0 {
				p.Accuracy = float64(p.Correct) / float64(p.Forwarded)
			}
			p.Advantage = p.Accuracy - p.Chance
			p.Latency = lat / time.Duration(len(cc.Seeds))
			p.AdvantageSpread, p.LatencySpread = spreadOf(advs), spreadOf(lats)
			out = append(out, p)
		}
	}
	return out, nil
}

// CurveCSV renders the curve as CSV: each row one mixing setting, with
// the workload it ran (clients, requests per client, seeds), the pooled
// score, and the per-seed spread of the advantage and the latency.
func CurveCSV(pts []CurvePoint) string {
	var b strings.Builder
	b.WriteString("clients,requests,seeds,batch,delay_ms,forwarded,correct,accuracy,chance,advantage," +
		"advantage_min,advantage_max,advantage_sd,mean_latency_ms,latency_min_ms,latency_max_ms,latency_sd_ms\n")
	for _, p := range pts {
		a, l := p.AdvantageSpread, p.LatencySpread
		fmt.Fprintf(&b, "%d,%d,%d,%d,%s,%d,%d,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.2f,%.2f,%.2f,%.2f\n",
			p.Clients, p.Requests, p.Seeds, p.Batch, ms(p.Delay), p.Forwarded, p.Correct,
			p.Accuracy, p.Chance, p.Advantage, a.Min, a.Max, a.SD, msf(p.Latency), l.Min, l.Max, l.SD)
	}
	return b.String()
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64)
}
