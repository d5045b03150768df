package sim

// Same seed, same bytes, for streams: every stream scenario runs twice per
// seed and must produce byte-identical traces; two seeds must differ.

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/link"
)

// streamScenarios build a world around streams under one kind of fault,
// run it and return its trace. Each records how its streams ended.
var streamScenarios = []struct {
	name string
	run  func(t testing.TB, seed uint64) *model.Trace
}{
	{"lossy-echo", func(t testing.TB, seed uint64) *model.Trace {
		return echoWorld(t, seed, link.Params{Latency: link.Exponential(ms, 5*ms), Loss: 0.2, Dup: 0.2, Reorder: 0.3}, nil)
	}},
	{"capacity", func(t testing.TB, seed uint64) *model.Trace {
		return echoWorld(t, seed, link.Params{Latency: link.LogNormal(ms, 2*ms, 0.5), Bandwidth: 200_000}, nil)
	}},
	{"partition-heals", func(t testing.TB, seed uint64) *model.Trace {
		return echoWorld(t, seed, link.Params{Latency: link.Uniform(ms, 9*ms)}, func(s *Sim) {
			s.At(8*ms, func() { s.Net().Isolate("server") })
			s.At(2*time.Second, s.Net().Heal)
		})
	}},
	{"partition-forever", func(t testing.TB, seed uint64) *model.Trace {
		return echoWorld(t, seed, link.Params{Latency: link.Uniform(ms, 9*ms)}, func(s *Sim) {
			s.At(12*ms, func() { s.Net().Isolate("server") })
		})
	}},
	{"crash-restart", func(t testing.TB, seed uint64) *model.Trace {
		return echoWorld(t, seed, link.Params{Latency: link.Uniform(ms, 9*ms), Loss: 0.05}, func(s *Sim) {
			srv := s.Node("server")
			s.At(12*ms, srv.Crash)
			s.At(500*ms, func() { srv.Restart(nil) })
		})
	}},
	{"clog-hold", func(t testing.TB, seed uint64) *model.Trace {
		return echoWorld(t, seed, link.Params{Latency: link.Uniform(ms, 9*ms)}, func(s *Sim) {
			s.At(8*ms, func() { s.Net().Clog("client1", "server"); s.Net().Hold("server", "client2") })
			s.At(900*ms, func() { s.Net().UnclogAll(); s.Net().ReleaseAll() })
		})
	}},
}

// echoWorld runs three clients that each send a drawn amount to an echo
// server and read it back, under link p and the faults setup adds.
func echoWorld(t testing.TB, seed uint64, p link.Params, setup func(s *Sim)) *model.Trace {
	t.Helper()
	s := New(Config{Seed: seed, Limit: time.Hour})
	srv := s.AddNode("server")
	if err := s.Net().SetDefault(p); err != nil {
		t.Fatal(err)
	}
	s.Net().SetStreamConfig(StreamConfig{MSS: 700, RTOMin: 50 * ms, RTOMax: 2 * time.Second, MaxRetries: 8})
	srv.Start(func(env env.Env) {
		ln, err := env.Listen("tcp", ":7")
		if err != nil {
			t.Error(err)
			return
		}
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			env.Go("echo", func() { io.Copy(c, c); c.Close() })
		}
	})
	for i := range 3 {
		cli := s.AddNode("client" + strconv.Itoa(i))
		cli.Go("client", func() {
			env := cli.Env()
			var b [2]byte
			env.Rand().Read(b[:])
			msg := bytes.Repeat([]byte{byte('a' + i)}, 1000+int(b[0])<<6+int(b[1]))
			c, err := env.Dial(context.Background(), "tcp", "server:7")
			if err != nil {
				env.Record("DialFailed", model.NewConst(err.Error()))
				return
			}
			env.Go("writer", func() {
				c.Write(msg)
				c.(*Conn).CloseWrite()
			})
			got, err := io.ReadAll(c)
			c.Close()
			if err != nil {
				env.Record("StreamFailed", model.NewConst(err.Error()))
			} else {
				env.Record("Echoed", model.NewConst(strconv.Itoa(len(got))), model.NewConst(strconv.FormatBool(bytes.Equal(got, msg))))
			}
		})
	}
	if setup != nil {
		setup(s)
	}
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	return s.Trace()
}

func TestStreamSameSeedSameTrace(t *testing.T) {
	for _, sc := range streamScenarios {
		t.Run(sc.name, func(t *testing.T) {
			var first string
			for _, seed := range []uint64{1, 2} {
				a, b := sc.run(t, seed), sc.run(t, seed)
				if !bytes.Equal(ndjson(t, a), ndjson(t, b)) || a.HashHex() != b.HashHex() {
					t.Fatalf("seed %d: traces differ", seed)
				}
				if countPrefix(a, model.Send, labelPrefix) == 0 {
					t.Fatal("no stream segments in the trace")
				}
				if first == "" {
					first = a.HashHex()
				} else if first == a.HashHex() {
					t.Fatal("seeds 1 and 2 gave identical traces")
				}
			}
		})
	}
}

// TestStreamScenarioOutcomes checks what each fault does to the streams:
// a fault that ends costs time, never bytes; a permanent partition times
// every stream out; a crash resets the connections it caught.
func TestStreamScenarioOutcomes(t *testing.T) {
	for _, sc := range streamScenarios {
		tr := sc.run(t, 1)
		var outcomes []string
		for _, e := range tr.Events {
			if e.Kind != model.Fact {
				continue
			}
			o := strings.TrimPrefix(strings.TrimPrefix(e.Name, "Dial"), "Stream")
			switch {
			case e.Name == "Echoed" && e.Args[1].Name != "true":
				t.Errorf("%s: echo differs: %v", sc.name, e.Args)
			case strings.Contains(e.Args[0].Name, "timed out"):
				o += "/timeout"
			case strings.Contains(e.Args[0].Name, "reset by peer"):
				o += "/reset"
			}
			outcomes = append(outcomes, o)
		}
		slices.Sort(outcomes)
		got := strings.Join(outcomes, " ")
		want := "Echoed Echoed Echoed"
		switch sc.name {
		case "partition-forever":
			want = "Failed/timeout Failed/timeout Failed/timeout"
		case "crash-restart":
			want = "Echoed Failed/reset Failed/reset"
		}
		if got != want {
			t.Errorf("%s: outcomes %s, want %s", sc.name, got, want)
		}
		if count(tr, model.Drop, "")+count(tr, model.Hold, "") == 0 && sc.name != "capacity" {
			t.Errorf("%s: the fault left no mark", sc.name)
		}
	}
}

func countPrefix(tr *model.Trace, kind model.EventKind, prefix string) int {
	n := 0
	for _, e := range tr.Events {
		if e.Kind == kind && len(e.Name) >= len(prefix) && e.Name[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}
