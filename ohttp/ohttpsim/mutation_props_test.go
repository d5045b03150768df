package ohttpsim

// Tests of the properties' own checks, written to kill mutants the rest of
// the suite let live: the HPKE-context-reuse check of property 1, and the
// target's side of property 2's comparison.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/ohttp"
)

// A client that reuses its HPKE context for just two requests is caught:
// one context serving two different requests is already a violation, and
// without the bug the same two requests pass. Kills: the reuse check
// counting from three requests; the check comparing anything but the
// requests a context serves.
func TestSymbolicCatchesContextReusedOnce(t *testing.T) {
	wl := Workload{
		{Index: 0, At: 100 * time.Millisecond, Client: 1, Path: "/echo/a", Body: []byte("first request")},
		{Index: 1, At: 200 * time.Millisecond, Client: 1, Path: "/echo/b", Body: []byte("second request")},
	}
	for _, bugs := range []ohttp.Bugs{nil, {ohttp.BugClientReuseContext: true}} {
		r, err := Simulate(7, nil, Options{Bugs: bugs, Workload: wl})
		if err != nil {
			t.Fatal(err)
		}
		if r.Stats.Answered != 2 {
			t.Fatalf("bugs %v: %d of 2 answered", bugs, r.Stats.Answered)
		}
		v := Symbolic(r)
		reused := slices.ContainsFunc(v.Why, func(w string) bool { return strings.Contains(w, "serves 2 different requests") })
		if bugs == nil && !v.Pass {
			t.Fatalf("correct client fails: %v", v.Why)
		}
		if bugs != nil && !reused {
			t.Fatalf("a context reused for two requests is not reported: %v", v)
		}
	}
}

// Property 2 compares the target's view as well as the gateways': a
// difference only the target saw fails it, and names the target. The
// runs of the world cannot make one (everything the target sees passed
// the gateway first), so the swapped run here is the base run with one
// observation of the target changed. Kills: the target left out of the
// parties compared.
func TestSwapComparesTheTargetsView(t *testing.T) {
	plan := SymmetricPlan(nil)
	cfg, err := ConfigFrom(plan)
	if err != nil {
		t.Fatal(err)
	}
	base, err := Simulate(3, plan, Options{Workload: NewWorkload(3, cfg), Symmetric: true})
	if err != nil {
		t.Fatal(err)
	}
	if v := compareSwapped(cfg, base, base, 0, 1); !v.Pass {
		t.Fatalf("a run compared with itself: %v", v)
	}
	for _, party := range append(cfg.gateways(), TargetNode) {
		changed := *base
		changed.Trace = alterLastObservation(t, base.Trace, party)
		v := compareSwapped(cfg, base, &changed, 0, 1)
		if v.Pass || len(v.Why) != 1 || !strings.Contains(v.Why[0], "changes the "+party+"'s view") {
			t.Fatalf("a change only %s saw: %v", party, v)
		}
	}
}

// alterLastObservation copies tr with the last Observe fact recorded on
// node given one more term.
func alterLastObservation(t *testing.T, tr *model.Trace, node string) *model.Trace {
	t.Helper()
	out := &model.Trace{Events: slices.Clone(tr.Events)}
	for i := len(out.Events) - 1; i >= 0; i-- {
		e := out.Events[i]
		if e.Node == node && e.Name == FactObserve {
			e.Args = append(slices.Clone(e.Args), model.NewPub("client-1"))
			out.Events[i] = e
			return out
		}
	}
	t.Fatalf("%s observed nothing", node)
	return nil
}
