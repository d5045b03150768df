package ohttpsim

import "github.com/edgelab/edgelab/sim/world"

// Figures are the run's counts, in a fixed order. Lost requests were in
// flight on a client that crashed.
func (r *Result) Figures() world.Figures {
	s := r.Stats
	lost := s.Sent - s.Answered - s.TimedOut - s.Mismatched - s.Failed
	f := func(name string, v int) world.Figure { return world.Figure{Name: name, Value: float64(v)} }
	return world.Figures{
		f("slots", s.Slots), f("sent", s.Sent), f("answered", s.Answered), f("timedout", s.TimedOut),
		f("mismatched", s.Mismatched), f("failed", s.Failed), f("lost", lost), f("keyfetches", s.KeyFetches),
		f("retries", s.Retries), f("rotations", s.Rotations),
	}
}
