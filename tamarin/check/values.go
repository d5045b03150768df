package check

import (
	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// ResolveFacts returns the action-fact events of tr with their arguments
// as the checker reads them: opaque atoms replaced by the structured terms
// their digests are bound to anywhere in the trace (the relay's ~blob is
// the client's hpke(...)), and digest-less fresh atoms inside a
// digest-carrying application given a digest derived from it (pk(~sk)
// for two keys is two ~sk).
func ResolveFacts(tr *model.Trace) []model.Event {
	ts := newTerms()
	cn := newCanon(ts)
	for i := range tr.Events {
		for _, a := range tr.Events[i].Args {
			cn.add(disambiguate(a))
		}
	}
	var out []model.Event
	for _, e := range tr.Events {
		if e.Kind != model.Fact {
			continue
		}
		args := make([]model.Term, len(e.Args))
		for i, a := range e.Args {
			args[i] = ts.toModel(cn.term(disambiguate(a)))
		}
		e.Args = args
		out = append(out, e)
	}
	return out
}

// CompromiseFacts returns the compromise action facts of th with their
// arities: those cfg's parties list and those named Reveal*, Compromise*,
// Corrupt* or Leak*.
func CompromiseFacts(th *spthy.Theory, cfg Config) map[string]int {
	listed := map[string]bool{}
	for _, p := range cfg.Parties {
		for _, f := range p.Compromise {
			listed[f] = true
		}
	}
	out := map[string]int{}
	for _, r := range th.Rules {
		for _, a := range r.Actions {
			if listed[a.Name] || isCompromiseName(a.Name) {
				out[a.Name] = len(a.Args)
			}
		}
	}
	return out
}
