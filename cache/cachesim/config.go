package cachesim

import (
	"errors"
	"time"

	"github.com/edgelab/edgelab/sim"
)

// Topologies, as the knob "topology" numbers them.
const (
	Smart    = 0 // every lower tier → one upper tier
	Generic  = 1 // every lower tier → the key's owner among the upper tiers
	Regional = 2 // lower tier → regional hub → the key's owner
)

// Config is the world a plan's knobs describe.
type Config struct {
	Topology int
	Lower    int // lower tiers, one client each
	Upper    int // upper tiers
	Requests int // per client
	Keys     int // distinct URLs, Zipf-popular
	// Updated is how many upper tiers roll out to the new build, one at
	// a time from RolloutAt, RolloutStep apart.
	Updated     int
	RolloutAt   time.Duration
	RolloutStep time.Duration
	Interval    time.Duration // mean gap between a client's requests
	MaxAge      int           // the origin's Cache-Control max-age, seconds
	VersionTick time.Duration // the origin publishes a new version this often
	// The origin's faults: each answer late by up to OriginDelay; a
	// large body cut half-way with probability OriginCut per mille;
	// every fourth key's body BigKB KiB (0: small like the rest).
	OriginDelay time.Duration
	OriginCut   int
	BigKB       int
	// OriginErrors is the per mille of one-second slots in which the
	// origin answers every request 503 (a brownout).
	OriginErrors int
	// Purges is how many times the site's editor changes a key at the
	// origin and purges it through the purge API, evenly spread over the
	// run.
	Purges int
}

// Knobs lists the plan knobs the world understands.
var Knobs = []string{"topology", "lower", "upper", "requests", "keys", "updated", "rollout_at", "rollout_step", "interval", "max_age", "version_tick", "origin_delay", "origin_cut", "big_kb", "origin_errors", "purges"}

// DefaultConfig is the world without knobs: a generic topology of two
// lower and two upper tiers, one of them updated.
func DefaultConfig() Config {
	return Config{Topology: Generic, Lower: 2, Upper: 2, Requests: 20, Keys: 6, Updated: 1,
		RolloutAt: time.Second, RolloutStep: time.Second, Interval: 200 * time.Millisecond,
		MaxAge: 2, VersionTick: 3 * time.Second, Purges: 1}
}

// ConfigFrom reads the knobs over the defaults.
func ConfigFrom(p *sim.Plan) (Config, error) {
	c := DefaultConfig()
	if err := p.CheckKnobs(Knobs...); err != nil {
		return c, err
	}
	ints := []struct {
		name     string
		dst      *int
		min, max int
	}{
		{"topology", &c.Topology, 0, 2}, {"lower", &c.Lower, 1, 16}, {"upper", &c.Upper, 1, 16},
		{"requests", &c.Requests, 0, 10000}, {"keys", &c.Keys, 1, 1000}, {"updated", &c.Updated, 0, 16},
		{"max_age", &c.MaxAge, 0, 3600}, {"origin_cut", &c.OriginCut, 0, 1000}, {"big_kb", &c.BigKB, 0, 1024},
		{"origin_errors", &c.OriginErrors, 0, 1000}, {"purges", &c.Purges, 0, 100},
	}
	for _, k := range ints {
		v, err := p.KnobInt(k.name, *k.dst)
		if err != nil {
			return c, err
		}
		if v < k.min || v > k.max {
			return c, &sim.PlanError{Field: "knobs." + k.name, Err: errors.New("out of range")}
		}
		*k.dst = v
	}
	durs := []struct {
		name string
		dst  *time.Duration
	}{{"rollout_at", &c.RolloutAt}, {"rollout_step", &c.RolloutStep}, {"interval", &c.Interval}, {"version_tick", &c.VersionTick}, {"origin_delay", &c.OriginDelay}}
	for _, k := range durs {
		v, err := p.KnobDuration(k.name, *k.dst)
		if err != nil {
			return c, err
		}
		if v < 0 || (v == 0 && (k.name == "interval" || k.name == "version_tick")) {
			return c, &sim.PlanError{Field: "knobs." + k.name, Err: errors.New("want a positive duration")}
		}
		*k.dst = v
	}
	if c.Updated > c.Upper {
		c.Updated = c.Upper
	}
	return c, nil
}
