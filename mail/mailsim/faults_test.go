package mailsim

import (
	"slices"
	"testing"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/world"
)

// The BUGGIFY sites of the queue and the SMTP session.
var buggifySites = []string{
	"queue: a due delivery waits a round",
	"queue: a delivery attempt fails before it connects",
	"smtp: the reply to the data comes late",
	"smtp: the server reads a few bytes at a time",
}

// allFaults is a plan with every fault the world draws, at once: crashes
// of the router and a destination, a pause, a partition, an isolation,
// clogs, holds, swizzling, loss and slow links, an IPv6 outage, DNS
// SERVFAIL, timeouts and stale answers, disk errors and a slow-disk spell,
// clock jumps both ways, power failures during syncs, torn writes,
// greylisting, a bursty workload and BUGGIFY with every site enabled.
const allFaults = `{
  "world": "mail",
  "knobs": {"senders": 3, "messages": 24, "spread": "30s", "bursts": 2, "greylist": true,
            "sync_latency": "20ms", "power_fail_permille": 60, "torn_write_permille": 1000},
  "network": {"default": {"latency": {"dist": "lognormal", "min": "1ms", "median": "5ms", "sigma": 0.5, "max": "80ms"},
              "loss": 0.02, "dup": 0.01, "reorder": 0.05, "reorder_delay": "10ms"}},
  "buggify": {"enabled": true, "enable_prob": 1, "fire_prob": 0.2},
  "faults": [
    {"at": "2s", "kind": "clock_jump", "node": "router", "by": "-3h"},
    {"at": "3s", "kind": "disk", "node": "router", "disk": {"sync_error_prob": 0.1, "torn_write_prob": 1, "sync_latency": "400ms"}, "for": "10s"},
    {"at": "5s", "kind": "crash", "node": "router", "for": "3s"},
    {"at": "6s", "kind": "dns", "dns": {"kind": "servfail", "type": "MX"}, "for": "5s"},
    {"at": "8s", "kind": "family_down", "family": "ipv6", "node": "dest-2", "for": "10s"},
    {"at": "9s", "kind": "partition", "from": ["router"], "to": ["dest-1"], "for": "4s"},
    {"at": "11s", "kind": "clog", "from": ["sender-1"], "to": ["router"], "for": "2s"},
    {"at": "12s", "kind": "hold", "from": ["router"], "to": ["dest-2"], "for": "2s"},
    {"at": "13s", "kind": "dns", "dns": {"kind": "timeout"}, "for": "3s"},
    {"at": "14s", "kind": "pause", "node": "dest-1", "for": "3s"},
    {"at": "15s", "kind": "clock_jump", "node": "dest-1", "by": "2h"},
    {"at": "16s", "kind": "swizzle", "span": "1s", "step": "200ms"},
    {"at": "17s", "kind": "loss", "p": 0.2},
    {"at": "19s", "kind": "loss", "p": 0.02},
    {"at": "18s", "kind": "disk", "node": "dest-2", "disk": {"write_error_prob": 0.2}, "for": "5s"},
    {"at": "20s", "kind": "crash", "node": "dest-2", "for": "5s"},
    {"at": "22s", "kind": "isolate", "node": "router", "for": "2s"},
    {"at": "24s", "kind": "dns", "dns": {"kind": "stale"}, "for": "4s"},
    {"at": "26s", "kind": "clock_jump", "node": "router", "by": "5h"}
  ],
  "heal_at": "50s", "converge_within": "8m"
}`

// Determinism with every fault on: each seed twice, the same trace; and
// the faults did happen (power failures, torn writes, clock jumps, every
// BUGGIFY site) while every property held.
func TestDeterminismAllFaults(t *testing.T) {
	seen := map[string]int{}
	for seed := uint64(1); seed <= 3; seed++ {
		var hashes []string
		for range 2 {
			o, err := World{}.Run(seed, world.MustPlan(allFaults), world.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !o.Pass() {
				t.Errorf("seed %d: %s", seed, o.Why())
			}
			hashes = append(hashes, o.Trace.HashHex())
			for _, ev := range o.Trace.Events {
				switch {
				case ev.Kind == model.Buggify:
					seen[ev.Name]++
				case ev.Kind == model.Fault:
					seen[ev.Name]++
				}
			}
		}
		if hashes[0] != hashes[1] {
			t.Fatalf("seed %d: traces %s and %s", seed, hashes[0], hashes[1])
		}
	}
	t.Logf("faults and BUGGIFY firings seen: %v", seen)
	for _, want := range append([]string{"disk-power-fail", "disk-torn", "clock-jump", "disk-sync"}, buggifySites...) {
		if seen[want] == 0 {
			t.Errorf("no %q in any run (seen: %v)", want, seen)
		}
	}
}

// BUGGIFY reaches the queue's and the SMTP session's sites in the world
// and never outside it: on the real Env every site is off.
func TestBuggifySitesFireOnlyInTheWorld(t *testing.T) {
	real := env.Real("serve")
	for _, site := range buggifySites {
		if env.Buggify(real, site) {
			t.Errorf("%q fires on the real Env", site)
		}
	}
	o, err := World{}.Run(2, world.MustPlan(`{"world": "mail", "knobs": {"messages": 12, "greylist": true},
	  "buggify": {"enabled": true, "enable_prob": 1, "fire_prob": 0.3}}`), world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Pass() {
		t.Errorf("with every site firing: %s", o.Why())
	}
	var fired []string
	for _, ev := range o.Trace.Events {
		if ev.Kind == model.Buggify && !slices.Contains(fired, ev.Name) {
			fired = append(fired, ev.Name)
		}
	}
	for _, site := range buggifySites {
		if !slices.Contains(fired, site) {
			t.Errorf("%q never fired (fired: %v)", site, fired)
		}
	}
}
