package ohttpsim

// This file derives the parties' views from the trace.

import (
	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/ohttp"
)

// Parties lists the world's parties: the relay, the gateway, the target
// and every client.
func (r *Result) Parties() []string {
	return nodeNames(r.Config)
}

// View is what party saw: the facts recorded on its node, its
// observations, and the messages it sent and received.
func (r *Result) View(party string) model.View { return model.Observe(r.Trace, PartyLens(party)) }

// PartyLens is a node's lens (model.NodeLens) that also sees the node's
// observations: Note events named Observe or RelayLog, with their terms.
func PartyLens(node string) model.Lens { return partyLens{model.NodeLens(node)} }

type partyLens struct{ model.Lens }

func (l partyLens) See(e *model.Event) ([]model.Term, bool) {
	if e.Kind == model.Note && e.Node == l.Party() && isObservation(e.Name) {
		return e.Args, true
	}
	return l.Lens.See(e)
}

func isObservation(name string) bool { return name == FactObserve || name == ohttp.FactRelayLog }

// observationsAsNotes turns the observation records of tr into Note
// events (in place, keeping their terms). They are recorded with
// Env.Record, the one way service code has to put terms in the trace, but
// they are not action facts of the theory: as Notes, the trace replays as
// a run of tamarin/theories/ohttp.spthy, and PartyLens still sees them.
func observationsAsNotes(tr *model.Trace) *model.Trace {
	for i := range tr.Events {
		if e := &tr.Events[i]; e.Kind == model.Fact && isObservation(e.Name) {
			e.Kind = model.Note
		}
	}
	return tr
}

// Views returns every party's view and the view of a passive observer on
// the network between each pair of parties that exchanged messages, keyed
// "net:a->b".
func (r *Result) Views() map[string]model.View {
	out := map[string]model.View{}
	for _, p := range r.Parties() {
		out[p] = r.View(p)
	}
	seen := map[model.Link]bool{}
	var links []model.Link
	for i := range r.Trace.Events {
		e := &r.Trace.Events[i]
		if e.Kind != model.Send {
			continue
		}
		from, to := model.Endpoints(e)
		l := model.Link{From: from, To: to}
		if !seen[l] {
			seen[l] = true
			links = append(links, l)
		}
	}
	for _, l := range links {
		name := "net:" + l.From + "->" + l.To
		out[name] = model.Observe(r.Trace, model.WireTap(name, l))
	}
	return out
}

// Binding binds every structured term the trace records to its digest,
// so an opaque record of some bytes is analysed as what they are.
func (r *Result) Binding() *model.Binding {
	b := model.NewBinding()
	b.BindTrace(r.Trace)
	return b
}

// Knowledge is party's Dolev–Yao knowledge under Signature.
func (r *Result) Knowledge(party string, b *model.Binding) *model.Knowledge {
	return r.View(party).Knowledge(Signature, b)
}
