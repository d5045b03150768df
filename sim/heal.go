package sim

// This file holds healing, for checking liveness after safety: faults run
// until a point in virtual time, then all of them stop and are undone, and
// the world must converge within a bound. Safety properties hold at every
// step of a faulty run; liveness properties ("every request is eventually
// answered", "replicas agree") can only be demanded once the faults stop.

import (
	"errors"
	"fmt"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/disk"
)

// healing is the run's heal schedule and liveness checks.
type healing struct {
	at, within time.Duration
	scheduled  bool
	gen        uint64 // invalidates the callbacks of an earlier SetHealAt
	done       bool
	hooks      []func()
	checks     []livenessCheck
	failures   []error
}

type livenessCheck struct {
	name  string
	check func() error
}

// LivenessError is a liveness property that did not hold ConvergeWithin
// after the run healed.
type LivenessError struct {
	Property string
	HealAt   time.Duration
	Within   time.Duration
	Err      error
}

func (e *LivenessError) Error() string {
	return fmt.Sprintf("sim: liveness %q: not converged %v after healing at %v: %v", e.Property, e.Within, e.HealAt, e.Err)
}

func (e *LivenessError) Unwrap() error { return e.Err }

// SetHealAt schedules HealAll at virtual time at and, if within is
// positive, the liveness checks (see Eventually) at at+within. The run's
// time limit is raised to at+within if it is lower, so the checks run.
func (s *Sim) SetHealAt(at, within time.Duration) {
	h := &s.heal
	h.at, h.within, h.scheduled = at, within, true
	h.gen++
	gen := h.gen
	s.At(at, func() {
		if h.gen == gen {
			s.HealAll()
		}
	})
	if within > 0 {
		s.At(at+within, func() {
			if h.gen == gen {
				s.checkLiveness()
			}
		})
	}
	if end := at + within; s.limit < end {
		s.limit = end
	}
}

// HealAt returns when the run heals, if it is scheduled to.
func (s *Sim) HealAt() (time.Duration, bool) { return s.heal.at, s.heal.scheduled }

// ConvergeWithin returns the bound after HealAt within which the world
// must have converged (zero: none).
func (s *Sim) ConvergeWithin() time.Duration { return s.heal.within }

// Healed reports whether HealAll has run.
func (s *Sim) Healed() bool { return s.heal.done }

// OnHeal registers fn to run in kernel context right after HealAll: a
// world's hook to start checking, or to restart its own repair work.
func (s *Sim) OnHeal(fn func()) { s.heal.hooks = append(s.heal.hooks, fn) }

// Eventually registers a liveness property: check runs in kernel context
// ConvergeWithin after HealAt, and an error from it is recorded as a
// *LivenessError (see LivenessErr) and as a Note event named "liveness".
// Without a heal time and a positive bound, checks never run: liveness is
// only demanded of a run whose faults stop.
func (s *Sim) Eventually(name string, check func() error) {
	s.heal.checks = append(s.heal.checks, livenessCheck{name, check})
}

// LivenessErr returns the liveness properties that failed, joined, or nil.
func (s *Sim) LivenessErr() error { return errors.Join(s.heal.failures...) }

func (s *Sim) checkLiveness() {
	h := &s.heal
	for _, c := range h.checks {
		attrs := map[string]string{"property": c.name, "ok": "true"}
		if err := c.check(); err != nil {
			h.failures = append(h.failures, &LivenessError{Property: c.name, HealAt: h.at, Within: h.within, Err: err})
			attrs["ok"], attrs["error"] = "false", err.Error()
		}
		s.Log(nil, model.Note, "liveness", attrs)
	}
}

// HealAll stops and undoes every fault, once: partitions and address-family
// outages healed, clogged links unclogged, held messages released, loss and
// duplication set to zero on every link, paused nodes resumed, crashed nodes restarted (with
// their boot functions), disk faults cleared, clock jumps still to come
// cancelled (offsets and drift stay: they are what the hardware is like),
// DNS faults cleared and BUGGIFY switched off. Plan faults scheduled after
// it do not happen. It is recorded as a Fault event named "heal-all"; then
// the OnHeal hooks run.
func (s *Sim) HealAll() {
	h := &s.heal
	if h.done {
		return
	}
	h.done = true
	s.Log(nil, model.Fault, "heal-all", nil)
	nw := s.net
	if len(nw.cuts) > 0 || len(nw.famOut) > 0 {
		nw.Heal()
	}
	nw.UnclogAll()
	nw.ReleaseAll()
	nw.def.Loss, nw.def.Dup = 0, 0
	nw.eachLink(func(l *linkState) {
		if l.params != nil {
			p := *l.params
			p.Loss, p.Dup = 0, 0
			l.params = &p
		}
	})
	for _, n := range s.nodes {
		switch {
		case n.paused:
			n.Resume()
		case n.down:
			n.Restart(nil)
		}
		if md, ok := n.disk.(*disk.MemDisk); ok && md.Faults() != (disk.Faults{}) {
			_ = n.SetDiskFaults(disk.Faults{}) // zero probabilities are valid
		}
		n.stopClockJumps()
	}
	if d := s.dns; d != nil && len(d.zone.Faults()) > 0 {
		s.Log(d.node, model.Fault, "dns-faults-cleared", nil)
		_ = s.setDNSFaults(nil)
	}
	if s.bug != nil {
		s.bug.SetEnabled(false)
	}
	for _, fn := range h.hooks {
		fn()
	}
}
