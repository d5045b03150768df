package ohttpsim

import "fmt"

// Unfinished counts sent requests that never ended: their client crashed
// while they were in flight, or they were still waiting (for keys, behind
// a clogged or held link, in the relay's batch) when the run reached its
// time limit. A clog from the relay, say, leaves the clients retrying key
// fetches until the run stops, so their later requests end unfinished.
func (s Stats) Unfinished() int {
	return s.Sent - s.Answered - s.TimedOut - s.Mismatched - s.Failed
}

// Figures is the run's one-line summary, in Glossary's order.
func (r *Result) Figures() string {
	s := r.Stats
	return fmt.Sprintf("slots=%d sent=%d answered=%d timedout=%d mismatched=%d failed=%d unfinished=%d keyfetches=%d retries=%d rotations=%d",
		s.Slots, s.Sent, s.Answered, s.TimedOut, s.Mismatched, s.Failed, s.Unfinished(), s.KeyFetches, s.Retries, s.Rotations)
}

// Glossary says what each counter of Figures means, in its order.
var Glossary = [][2]string{
	{"slots", "requests the workload holds"},
	{"sent", "requests a live client started (a slot whose client is down is not sent)"},
	{"answered", "sent requests that got the target's answer to that very request"},
	{"timedout", "sent requests whose deadline (knob timeout) passed before an answer"},
	{"mismatched", "sent requests answered with a response that was not for them"},
	{"failed", "sent requests that ended in an error: no key configuration could be fetched, a transport error, or the gateway's own error status (502, 504)"},
	{"unfinished", "sent requests that never ended: the client crashed with them in flight, or they were still waiting (for keys, behind a clogged or held link, in a relay batch) when the run hit its time limit; sent = answered + timedout + mismatched + failed + unfinished"},
	{"keyfetches", "key-configuration fetches by clients, each attempt counted"},
	{"retries", "requests resent once after the gateway reported a key problem"},
	{"rotations", "gateway key rotations"},
}
