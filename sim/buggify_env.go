package sim

// This file wires BUGGIFY into the simulation: one Buggifier per run,
// drawing from the run's "buggify" stream, off unless a plan (or the world)
// enables it, and every firing recorded in the trace.

import (
	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
)

// Buggify reports whether the BUGGIFY fault site named site should
// misbehave now (see Buggifier). It is always false on env.Real(), on an
// Env that is not a simulated node's (unless it unwraps to one, see
// below), in a run that has not enabled BUGGIFY, on a crashed node, in code
// unwinding after a crash, and after the run has healed. A firing is
// recorded as a model.Buggify event named after the site, on the node.
//
// An Env that wraps another may expose it with an Unwrap() Env method, so
// that wrapping does not switch the sites off.
func Buggify(e env.Env, site string) bool {
	for {
		switch w := e.(type) {
		case *nodeEnv:
			return w.n.buggify(site)
		case interface{ Unwrap() env.Env }:
			e = w.Unwrap()
		default:
			return false
		}
	}
}

// Buggify makes a simulated node's Env an env.FaultSites, so service code
// reaches the run's BUGGIFY through the seam (env.Buggify).
func (e *nodeEnv) Buggify(site string) bool { return e.n.buggify(site) }

var _ env.FaultSites = (*nodeEnv)(nil)

func (n *Node) buggify(site string) bool {
	s := n.s
	b := s.bug
	if b == nil || n.down || s.silenced() {
		return false
	}
	if !b.Fire(site) {
		return false
	}
	s.Log(n, model.Buggify, site, nil)
	return true
}

// EnableBuggify turns BUGGIFY on for the run with cfg (its OnFire is
// ignored: firings go to the trace). Calling it again starts over with a
// fresh decision of which sites are enabled.
func (s *Sim) EnableBuggify(cfg BuggifyConfig) error {
	cfg.OnFire = nil
	b, err := NewBuggifier(s.Rand("buggify"), cfg)
	if err != nil {
		return err
	}
	s.bug = b
	return nil
}

// Buggifier returns the run's Buggifier, or nil if BUGGIFY is off; its
// Sites method is the run's coverage report.
func (s *Sim) Buggifier() *Buggifier { return s.bug }
