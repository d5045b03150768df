package ohttpsim

import "fmt"

// Figures is the run's one-line summary.
func (r *Result) Figures() string {
	s := r.Stats
	// Lost requests were in flight on a client that crashed.
	lost := s.Sent - s.Answered - s.TimedOut - s.Mismatched - s.Failed
	return fmt.Sprintf("slots=%d sent=%d answered=%d timedout=%d mismatched=%d failed=%d lost=%d keyfetches=%d retries=%d rotations=%d",
		s.Slots, s.Sent, s.Answered, s.TimedOut, s.Mismatched, s.Failed, lost, s.KeyFetches, s.Retries, s.Rotations)
}
