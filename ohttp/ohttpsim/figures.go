package ohttpsim

import "github.com/edgelab/edgelab/sim/world"

// Unfinished counts sent requests that never ended: their client crashed
// while they were in flight, or they were still waiting (for keys, behind
// a clogged or held link, in the relay's batch) when the run reached its
// time limit. A clog from the relay, say, leaves the clients retrying key
// fetches until the run stops, so their later requests end unfinished.
func (s Stats) Unfinished() int {
	return s.Sent - s.Answered - s.TimedOut - s.Mismatched - s.Failed
}

// Figures are the run's counts, in Glossary's order.
func (r *Result) Figures() world.Figures {
	s := r.Stats
	f := func(name string, v int) world.Figure { return world.Figure{Name: name, Value: float64(v)} }
	return world.Figures{
		f("slots", s.Slots), f("sent", s.Sent), f("answered", s.Answered), f("timedout", s.TimedOut),
		f("mismatched", s.Mismatched), f("failed", s.Failed), f("unfinished", s.Unfinished()), f("keyfetches", s.KeyFetches),
		f("retries", s.Retries), f("rotations", s.Rotations),
	}
}

// Glossary says what each counter of Figures means, in its order.
var Glossary = []world.Term{
	{Name: "slots", Meaning: "requests the workload holds"},
	{Name: "sent", Meaning: "requests a live client started (a slot whose client is down is not sent)"},
	{Name: "answered", Meaning: "sent requests that got the target's answer to that very request"},
	{Name: "timedout", Meaning: "sent requests whose deadline (knob timeout) passed before an answer"},
	{Name: "mismatched", Meaning: "sent requests answered with a response that was not for them"},
	{Name: "failed", Meaning: "sent requests that ended in an error: no key configuration could be fetched, a transport error, or the gateway's own error status (502, 504)"},
	{Name: "unfinished", Meaning: "sent requests that never ended: the client crashed with them in flight, or they were still waiting (for keys, behind a clogged or held link, in a relay batch) when the run hit its time limit; sent = answered + timedout + mismatched + failed + unfinished"},
	{Name: "keyfetches", Meaning: "key-configuration fetches by clients, each attempt counted"},
	{Name: "retries", Meaning: "requests resent once after the gateway reported a key problem"},
	{Name: "rotations", Meaning: "gateway key rotations"},
}
