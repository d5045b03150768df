package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
)

// Buggifier decides when BUGGIFY fault sites fire, FoundationDB style.
// Service code marks places where something unusual but legal could happen
// (a short read, an early timeout, a retry, a reordered callback) with
//
//	if sim.Buggify(env, "spool: fsync before rename fails") { ... }
//
// In production Buggify is always false. In a simulation each site is
// enabled or not once per run, with probability EnableProb, the first time
// it is reached; an enabled site then fires with probability FireProb each
// time it is reached. Enabling per run matters: a site that fires on every
// call of a hot path would make every run fail the same boring way, while
// one that never fires tests nothing; per-run enabling gives runs in which
// a few sites misbehave often, and the rest not at all.
//
// In a simulation the run's Buggifier is made by Sim.EnableBuggify (or a
// plan's "buggify" field) from the run's "buggify" rand sub-stream, and
// the package-level Buggify(env, site) asks it, recording each firing in
// the trace (buggify_env.go).
//
// A Buggifier is not safe for concurrent use; the kernel runs one task at
// a time, so calls arrive in a deterministic order.
type Buggifier struct {
	rng        *rand.Rand
	salt       uint64
	on         bool
	enableProb float64
	fireProb   float64
	onFire     func(site string)
	sites      map[string]*siteState
}

type siteState struct {
	enabled bool
	reached int
	fired   int
}

// BuggifyConfig configures a Buggifier.
type BuggifyConfig struct {
	// Disabled turns every site off (Fire is always false); see also
	// SetEnabled, e.g. to let a run recover in a quiet final phase.
	Disabled bool `json:"disabled,omitempty"`
	// EnableProb is the chance that a site is enabled for the run; zero
	// means the default, 0.25.
	EnableProb float64 `json:"enable_prob,omitempty"`
	// FireProb is the chance that an enabled site fires when reached;
	// zero means the default, 0.25.
	FireProb float64 `json:"fire_prob,omitempty"`
	// OnFire, if set, is told about every firing so the kernel can record
	// it in the trace.
	OnFire func(site string) `json:"-"`
}

// DefaultBuggifyProb is the default enable and fire probability.
const DefaultBuggifyProb = 0.25

// NewBuggifier returns a Buggifier drawing from rng, which it owns from
// now on: give it a dedicated sub-stream so that faults do not shift the
// randomness of anything else.
func NewBuggifier(rng *rand.Rand, cfg BuggifyConfig) (*Buggifier, error) {
	if rng == nil {
		return nil, errors.New("sim: NewBuggifier needs a rand stream")
	}
	b := &Buggifier{
		rng:        rng,
		on:         !cfg.Disabled,
		enableProb: cfg.EnableProb,
		fireProb:   cfg.FireProb,
		onFire:     cfg.OnFire,
		sites:      map[string]*siteState{},
	}
	if b.enableProb == 0 {
		b.enableProb = DefaultBuggifyProb
	}
	if b.fireProb == 0 {
		b.fireProb = DefaultBuggifyProb
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"enable_prob", b.enableProb}, {"fire_prob", b.fireProb}} {
		if !(p.v >= 0 && p.v <= 1) {
			return nil, fmt.Errorf("sim: buggify %s = %v, want a probability in [0, 1]", p.name, p.v)
		}
	}
	// Which sites are enabled is a function of the site's name and this
	// salt, not of the order in which sites are first reached, so adding a
	// site in one code path does not re-decide every other site.
	b.salt = rng.Uint64()
	return b, nil
}

// SetEnabled switches all sites on or off without forgetting which are
// enabled for the run.
func (b *Buggifier) SetEnabled(on bool) { b.on = on }

// Fire reports whether the fault at site should happen now.
func (b *Buggifier) Fire(site string) bool {
	if !b.on {
		return false
	}
	s, ok := b.sites[site]
	if !ok {
		s = &siteState{enabled: b.decide(site)}
		b.sites[site] = s
	}
	s.reached++
	if !s.enabled || b.rng.Float64() >= b.fireProb {
		return false
	}
	s.fired++
	if b.onFire != nil {
		b.onFire(site)
	}
	return true
}

// decide draws the site's per-run enablement from the salted name hash.
func (b *Buggifier) decide(site string) bool {
	h := fnv.New64a()
	h.Write([]byte(site))
	x := splitmix64(h.Sum64() ^ b.salt)
	return float64(x>>11)/(1<<53) < b.enableProb
}

// splitmix64 scrambles x so that nearby inputs give unrelated outputs.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// BuggifySite is what a run did with one site.
type BuggifySite struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	Reached int    `json:"reached"`
	Fired   int    `json:"fired"`
}

// Sites lists every site reached so far, sorted by name: the coverage
// report of a run (a site never reached while enabled tested nothing).
func (b *Buggifier) Sites() []BuggifySite {
	out := make([]BuggifySite, 0, len(b.sites))
	for name, s := range b.sites {
		out = append(out, BuggifySite{Name: name, Enabled: s.enabled, Reached: s.reached, Fired: s.fired})
	}
	slices.SortFunc(out, func(x, y BuggifySite) int { return strings.Compare(x.Name, y.Name) })
	return out
}
