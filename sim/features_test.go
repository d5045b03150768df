package sim

// Same seed, same bytes, for every subsystem wired in by plans: disks
// with torn writes, clocks, DNS with each fault kind, BUGGIFY, pause and
// resume, and healing. Each world runs each of two seeds twice; the two
// traces of a seed must be identical, the two seeds' traces different, and
// the feature must leave its mark in the trace.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
)

var featureCases = []struct {
	name string
	run  func(t testing.TB, seed uint64) *model.Trace
	seen func(tr *model.Trace) bool
}{
	{"disk-torn-writes", diskWorld, hasEvent(model.Fault, "disk-torn")},
	{"clock-drift-and-jumps", func(t testing.TB, seed uint64) *model.Trace {
		return trafficWorld(t, seed, func(s *Sim) {
			applyPlan(t, s, `{"nodes": {"n2": {"clock": {"offset": "1s", "drift_ppm": 50000, "jumps": [{"at": "200ms", "by": "-50ms"}]}}},
			  "faults": [{"at": "300ms", "kind": "clock_jump", "node": "n3", "by": "2s"}]}`)
		})
	}, hasEvent(model.Fault, "clock-jump")},
	{"dns-servfail", dnsFaultWorld(`{"kind": "servfail", "name": "a.test."}`), hasFact("Lookup", "server misbehaving")},
	{"dns-timeout", dnsFaultWorld(`{"kind": "timeout", "name": "a.test."}`), hasFact("Lookup", "timeout")},
	{"dns-nxdomain", dnsFaultWorld(`{"kind": "nxdomain", "name": "b.test."}`), hasFact("Lookup", "no such host")},
	{"dns-stale", dnsFaultWorld(`{"kind": "stale", "version": 0}`), hasFactAfter("Lookup", "10.9.0.1", 200*time.Millisecond)},
	{"buggify", buggifyWorld, hasEvent(model.Buggify, "skip a send")},
	{"pause-resume", func(t testing.TB, seed uint64) *model.Trace {
		return trafficWorld(t, seed, func(s *Sim) {
			applyPlan(t, s, `{"faults": [{"at": "100ms", "kind": "pause", "node": "n1", "for": "150ms"}]}`)
		})
	}, func(tr *model.Trace) bool { return count(tr, model.Hold, "paused") > 0 }},
	{"heal", func(t testing.TB, seed uint64) *model.Trace {
		return trafficWorld(t, seed, func(s *Sim) {
			applyPlan(t, s, `{"faults": [
			    {"at": "50ms", "kind": "partition", "from": ["n1"], "to": ["n2", "n3"]},
			    {"at": "60ms", "kind": "loss", "p": 0.5},
			    {"at": "70ms", "kind": "crash", "node": "n4"},
			    {"at": "80ms", "kind": "pause", "node": "n3"}
			  ], "heal_at": "300ms", "converge_within": "100ms"}`)
			s.Eventually("n4 is up", func() error { return nil })
		})
	}, hasEvent(model.Fault, "heal-all")},
}

func TestNewFeaturesSameSeedSameBytes(t *testing.T) {
	for _, c := range featureCases {
		t.Run(c.name, func(t *testing.T) {
			var first []byte
			for _, seed := range []uint64{1, 2} {
				a, b := c.run(t, seed), c.run(t, seed)
				ba, bb := ndjson(t, a), ndjson(t, b)
				if !bytes.Equal(ba, bb) || a.HashHex() != b.HashHex() {
					t.Fatalf("seed %d: traces differ (%d vs %d bytes)", seed, len(ba), len(bb))
				}
				if !c.seen(a) {
					t.Fatalf("seed %d: the feature left no mark in the trace", seed)
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

func applyPlan(t testing.TB, s *Sim, js string) {
	t.Helper()
	if err := s.Apply(mustPlan(t, js)); err != nil {
		t.Fatal(err)
	}
}

func hasEvent(kind model.EventKind, name string) func(*model.Trace) bool {
	return func(tr *model.Trace) bool {
		for _, e := range tr.Events {
			if e.Kind == kind && e.Name == name {
				return true
			}
		}
		return false
	}
}

// hasFact reports a fact named name one of whose arguments contains sub.
func hasFact(name, sub string) func(*model.Trace) bool { return hasFactAfter(name, sub, 0) }

// hasFactAfter is hasFact for facts recorded after a virtual time (the
// stale fault answers what the zone said before its update).
func hasFactAfter(name, sub string, after time.Duration) func(*model.Trace) bool {
	return func(tr *model.Trace) bool {
		for _, f := range tr.Facts() {
			if f.Name == name && f.At > after && strings.Contains(f.String(), sub) {
				return true
			}
		}
		return false
	}
}

// randN draws a number below n from the node's random stream.
func randN(env env.Env, n int) int {
	var b [8]byte
	io.ReadFull(env.Rand(), b[:])
	return int(binary.LittleEndian.Uint64(b[:]) % uint64(n))
}

// diskWorld appends records of random sizes, syncing every third, and
// crashes twice with every last unsynced write torn; each boot records how
// much of the log it found.
func diskWorld(t testing.TB, seed uint64) *model.Trace {
	s := New(Config{Seed: seed, Limit: 2 * time.Second})
	n := s.AddNode("db")
	n.Start(func(env env.Env) {
		d := env.Disk()
		b, _ := d.ReadFile("log")
		env.Record("Recovered", model.NewConst(strconv.Itoa(len(b))))
		f, err := d.OpenFile("log", os.O_CREATE|os.O_WRONLY|os.O_APPEND)
		if err != nil {
			return
		}
		d.SyncDir(".")
		for i := 0; ; i++ {
			env.Sleep(time.Duration(1+randN(env, 30)) * time.Millisecond)
			f.Write(bytes.Repeat([]byte{'a' + byte(i%26)}, 2+randN(env, 100)))
			if i%3 == 2 {
				f.Sync()
			}
		}
	})
	applyPlan(t, s, `{"nodes": {"db": {"disk": {"torn_write_prob": 1}}},
	  "faults": [{"at": "300ms", "kind": "crash", "node": "db", "for": "100ms"},
	             {"at": "800ms", "kind": "crash", "node": "db", "for": "100ms"}]}`)
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	return s.Trace()
}

// dnsFaultWorld looks names up at random times under one DNS fault,
// injected at 200ms for 300ms, after a zone update at 100ms; each result
// is a fact.
func dnsFaultWorld(fault string) func(t testing.TB, seed uint64) *model.Trace {
	return func(t testing.TB, seed uint64) *model.Trace {
		s := New(Config{Seed: seed, Limit: 10 * time.Second})
		cl := s.AddNode("client")
		applyPlan(t, s, `{
		  "network": {"default": {"latency": {"dist": "exponential", "min": "1ms", "mean": "2ms"}}},
		  "nodes": {"dns": {"zone": [
		    {"name": "a.test.", "type": "A", "ttl": 60, "value": "10.9.0.1"},
		    {"name": "b.test.", "type": "A", "ttl": 60, "value": "10.9.0.2"},
		    {"name": "b.test.", "type": "AAAA", "ttl": 60, "value": "fd09::2"}]}},
		  "resolver": {"timeout": "50ms", "attempts": 2},
		  "faults": [
		    {"at": "100ms", "kind": "zone", "zone": [
		      {"name": "a.test.", "type": "A", "ttl": 60, "value": "10.9.1.1"},
		      {"name": "b.test.", "type": "A", "ttl": 60, "value": "10.9.1.2"}]},
		    {"at": "200ms", "kind": "dns", "dns": `+fault+`, "for": "300ms"}]}`)
		cl.Start(func(env env.Env) {
			for range 40 {
				env.Sleep(time.Duration(5+randN(env, 20)) * time.Millisecond)
				host := []string{"a.test", "b.test"}[randN(env, 2)]
				addrs, err := env.Resolver().LookupHost(context.Background(), host)
				res := strings.Join(addrs, ",")
				if err != nil {
					res = err.Error()
					if de, ok := errors.AsType[*net.DNSError](err); ok && de.IsTimeout {
						res = "timeout"
					}
				}
				env.Record("Lookup", model.NewConst(host), model.NewConst(res))
			}
		})
		if _, err := s.Run(); err != nil {
			t.Fatal(err)
		}
		return s.Trace()
	}
}

// buggifyWorld sends datagrams around, and two BUGGIFY sites skip a send
// or add a delay.
func buggifyWorld(t testing.TB, seed uint64) *model.Trace {
	s := New(Config{Seed: seed, Limit: 10 * time.Second})
	var nodes []*Node
	for i := 1; i <= 3; i++ {
		nodes = append(nodes, s.AddNode("n"+strconv.Itoa(i)))
	}
	for _, n := range nodes {
		n.Bind(echoPort, func(netip.AddrPort, []byte) {})
		n.Start(func(env env.Env) {
			for range 30 {
				env.Sleep(time.Duration(1+randN(env, 10)) * time.Millisecond)
				if Buggify(env, "extra delay") {
					env.Sleep(50 * time.Millisecond)
				}
				if Buggify(env, "skip a send") {
					continue
				}
				dst := nodes[randN(env, len(nodes))]
				n.Send(echoPort, addrPort(dst, echoPort), make([]byte, 10+randN(env, 100)))
			}
		})
	}
	applyPlan(t, s, `{"buggify": {"enabled": true, "enable_prob": 1, "fire_prob": 0.2}}`)
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	return s.Trace()
}
