package sim

import (
	"bytes"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/link"
)

// faultCases covers every link behaviour and fault kind; each says how to
// set it up and how to see in the trace that it really happened.
var faultCases = []struct {
	name  string
	setup func(s *Sim)
	seen  func(tr *model.Trace) bool
}{
	{"fixed", func(s *Sim) { s.Net().SetDefault(link.Params{Latency: link.Fixed(2 * time.Millisecond)}) }, nil},
	{"uniform", func(s *Sim) {
		s.Net().SetDefault(link.Params{Latency: link.Uniform(time.Millisecond, 9*time.Millisecond)})
	}, nil},
	{"exponential", func(s *Sim) {
		s.Net().SetDefault(link.Params{Latency: link.Exponential(time.Millisecond, 4*time.Millisecond)})
	}, nil},
	{"lognormal", func(s *Sim) {
		s.Net().SetDefault(link.Params{Latency: link.LogNormal(time.Millisecond, 3*time.Millisecond, 0.8)})
	}, nil},
	{"loss", func(s *Sim) { s.Net().SetDefault(link.Params{Latency: link.Fixed(time.Millisecond), Loss: 0.2}) },
		func(tr *model.Trace) bool { return count(tr, model.Drop, ReasonLoss) > 0 }},
	{"dup", func(s *Sim) { s.Net().SetDefault(link.Params{Latency: link.Fixed(time.Millisecond), Dup: 0.2}) },
		func(tr *model.Trace) bool { return count(tr, model.Dup, "") > 0 }},
	{"reorder", func(s *Sim) {
		s.Net().SetDefault(link.Params{Latency: link.Fixed(time.Millisecond), Reorder: 0.3, ReorderDelay: 20 * time.Millisecond})
	}, nil},
	{"capacity", func(s *Sim) {
		s.Net().SetDefault(link.Params{Latency: link.Fixed(time.Millisecond), Bandwidth: 50_000})
	}, nil},
	{"link-override", func(s *Sim) {
		s.Net().SetLink("n2", "n1", link.Params{Latency: link.Uniform(0, 50*time.Millisecond), Loss: 0.1})
	}, nil},
	{"partition", func(s *Sim) {
		s.At(100*time.Millisecond, func() { s.Net().Partition([]string{"n1", "n2"}, []string{"n3", "n4"}) })
		s.At(300*time.Millisecond, s.Net().Heal)
	}, func(tr *model.Trace) bool { return count(tr, model.Drop, ReasonPartition) > 0 }},
	{"partition-oneway", func(s *Sim) {
		s.At(50*time.Millisecond, func() { s.Net().PartitionOneWay([]string{"n2"}, []string{"n1"}) })
		s.At(400*time.Millisecond, s.Net().Heal)
	}, func(tr *model.Trace) bool { return count(tr, model.Drop, ReasonPartition) > 0 }},
	{"isolate", func(s *Sim) {
		s.At(50*time.Millisecond, func() { s.Net().Isolate("n3") })
		s.At(250*time.Millisecond, s.Net().Heal)
	}, func(tr *model.Trace) bool { return count(tr, model.Drop, ReasonPartition) > 0 }},
	{"clog", func(s *Sim) {
		s.At(50*time.Millisecond, func() { s.Net().Clog("n2", "n1") })
		s.At(250*time.Millisecond, func() { s.Net().Unclog("n2", "n1") })
	}, func(tr *model.Trace) bool { return count(tr, model.Hold, "clog") > 0 }},
	{"swizzle", func(s *Sim) {
		s.At(50*time.Millisecond, func() { s.Net().Swizzle(nil, 100*time.Millisecond, 30*time.Millisecond) })
	}, func(tr *model.Trace) bool { return count(tr, model.Hold, "clog") > 0 }},
	{"hold", func(s *Sim) {
		s.At(50*time.Millisecond, func() { s.Net().Hold("n2", "n1") })
		s.At(250*time.Millisecond, func() { s.Net().Release("n2", "n1") })
	}, func(tr *model.Trace) bool { return count(tr, model.Hold, "hold") > 0 }},
	{"crash", func(s *Sim) {
		s.At(100*time.Millisecond, s.Node("n3").Crash)
		s.At(200*time.Millisecond, func() { s.Node("n3").Restart(nil) })
	}, func(tr *model.Trace) bool { return count(tr, model.Drop, ReasonCrash) > 0 }},
}

// TestSameSeedSameBytes runs every fault kind twice on two seeds: the same
// seed must give byte-identical traces, different seeds different ones.
func TestSameSeedSameBytes(t *testing.T) {
	for _, c := range faultCases {
		t.Run(c.name, func(t *testing.T) {
			var first []byte
			for _, seed := range []uint64{1, 2} {
				a := trafficWorld(t, seed, c.setup)
				b := trafficWorld(t, seed, c.setup)
				ba, bb := ndjson(t, a), ndjson(t, b)
				if !bytes.Equal(ba, bb) {
					t.Fatalf("seed %d: traces differ (%d vs %d bytes)", seed, len(ba), len(bb))
				}
				if a.HashHex() != b.HashHex() {
					t.Fatalf("seed %d: hashes differ", seed)
				}
				if c.seen != nil && !c.seen(a) {
					t.Fatalf("seed %d: the fault left no mark in the trace", seed)
				}
				if first == nil {
					first = ba
				} else if bytes.Equal(first, ba) {
					t.Fatal("seeds 1 and 2 gave identical traces")
				}
			}
		})
	}
}
