package ohttpsim

// This file is property 2, swap equivalence: run the same seed twice,
// the second time with the clients of two requests exchanged, and compare
// what the gateway and the target saw.
//
// What is compared: for the gateway and the target, every observation of
// their view (model.ViewOf: facts recorded on the node, among them the
// Observe facts with every header token and body digest they received,
// and the messages they sent and received) as (virtual time, kind, name,
// from, to, terms with digests). Sequence numbers are left out: they
// count events anywhere in the world.
//
// Why it can pass: the workload fixes each request's time, content and
// HPKE randomness by slot, not by client (workload.go), and the run is
// made symmetric in the clients: every client gets the same fixed link to
// and from the relay, and faults, clock skew and noise that single out a
// client are removed from the plan (SymmetricPlan). Everything that
// differs between the two runs is then on the client side of the relay.
// Why it can fail: anything that carries a client's identity past the
// relay (a header, a cookie, a per-client key, a per-client HPKE context)
// makes the gateway's or the target's view differ.

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/plan"
)

// SymmetricPlan returns a copy of plan without what would treat clients
// differently: faults and link overrides naming a client, swizzles over
// unnamed nodes (they may pick clients), client clock settings and
// BUGGIFY. It also makes retiring keys decrypt for the whole run (keys
// still rotate): a client that must refetch after a rotation does so when
// its own next request is refused, so which client it is shows in when
// the gateway sees the refetch. That per-client key state is a real,
// known signal (RFC 9540 §6.1), left out of this comparison on purpose;
// refetching is exercised by property 1's runs. For the same reason keys
// are not rotated on a schedule here: a rotation that falls while clients
// are still fetching (say, retrying after losses) leaves some pinned to
// the old key and some to the new, and the key epoch then tells the
// gateway which group a request came from — the same known signal.
func SymmetricPlan(pl *plan.Plan) *plan.Plan {
	p := plan.Plan{}
	if pl != nil {
		p = *pl
	} else {
		pl = &p
	}
	p.Knobs = map[string]json.RawMessage{}
	for k, v := range pl.Knobs {
		p.Knobs[k] = v
	}
	p.Knobs["grace"] = json.RawMessage(`"1000h"`)
	p.Knobs["rotate_every"] = json.RawMessage(`"0s"`)
	isClient := func(names ...string) bool {
		for _, n := range names {
			if strings.HasPrefix(n, "client-") {
				return true
			}
		}
		return false
	}
	p.Faults = nil
	for _, f := range pl.Faults {
		if isClient(f.Node) || isClient(f.Nodes...) || isClient(f.From...) || isClient(f.To...) {
			continue
		}
		if f.Kind == "swizzle" && len(f.Nodes) == 0 {
			continue
		}
		p.Faults = append(p.Faults, f)
	}
	if pl.Network != nil {
		nw := *pl.Network
		nw.Links = nil
		for _, l := range pl.Network.Links {
			if !isClient(l.From...) && !isClient(l.To...) {
				nw.Links = append(nw.Links, l)
			}
		}
		p.Network = &nw
	}
	if pl.Nodes != nil {
		p.Nodes = plan.NodeSpecs{}
		for n, s := range pl.Nodes {
			if !isClient(n) {
				p.Nodes[n] = s
			}
		}
	}
	p.Buggify = nil
	return &p
}

// Swap checks property 2 for seed and plan with the bugs of opts.
func Swap(seed uint64, pl *plan.Plan, opts Options) (Verdict, error) {
	p := SymmetricPlan(pl)
	cfg, err := ConfigFrom(p)
	if err != nil {
		return Verdict{}, err
	}
	wl := NewWorkload(seed, cfg)
	a, b, ok := wl.SwapPair(cfg)
	if !ok {
		return Verdict{Property: PropSwap, Pass: true}, nil
	}
	base, err := Simulate(seed, p, Options{Bugs: opts.Bugs, Workload: wl, Symmetric: true})
	if err != nil {
		return Verdict{}, err
	}
	swapped, err := Simulate(seed, p, Options{Bugs: opts.Bugs, Workload: wl.Swap(a, b), Symmetric: true})
	if err != nil {
		return Verdict{}, err
	}
	if base.KeyFetchFailed || swapped.KeyFetchFailed {
		// A client without keys fetches again when its request is due,
		// at a time that depends on which client it is: the runs are
		// not comparable, and the check says nothing (it passes).
		return Verdict{Property: PropSwap, Pass: true, Why: []string{"inconclusive: a client got no keys"}}, nil
	}
	return compareSwapped(cfg, base, swapped, a, b), nil
}

// compareSwapped is the verdict on two runs whose workloads differ in the
// clients of slots a and b: every gateway's view and the target's must be
// the same in both.
func compareSwapped(cfg Config, base, swapped *Result, a, b int) Verdict {
	var v violations
	for _, party := range append(cfg.gateways(), TargetNode) {
		x, y := projectView(base.View(party)), projectView(swapped.View(party))
		if i := firstDiff(x, y); i >= 0 {
			v.add(fmt.Sprintf("swapping the clients of requests %d and %d changes the %s's view at observation %d: %s | %s",
				a, b, party, i, at(x, y, i), at(y, x, i)))
		}
	}
	return v.verdict(PropSwap)
}

// projectView renders a view's observations without sequence numbers.
func projectView(v model.View) []string {
	out := make([]string, len(v.Observations))
	for i, o := range v.Observations {
		terms, _ := json.Marshal(o.Terms)
		out[i] = fmt.Sprintf("%v %s %s %s->%s %s", o.At, o.Kind, o.Name, o.From, o.To, terms)
	}
	return out
}

func firstDiff(x, y []string) int {
	for i := range min(len(x), len(y)) {
		if x[i] != y[i] {
			return i
		}
	}
	if len(x) != len(y) {
		return min(len(x), len(y))
	}
	return -1
}

// at shows observation i of x briefly, from shortly before where it
// first differs from observation i of y, or "(none)".
func at(x, y []string, i int) string {
	if i >= len(x) {
		return "(none)"
	}
	s, o := x[i], ""
	if i < len(y) {
		o = y[i]
	}
	d := 0
	for d < len(s) && d < len(o) && s[d] == o[d] {
		d++
	}
	head := s[:min(len(s), strings.IndexByte(s+"[", '['))]
	from := max(d-40, len(head))
	if from > len(s) {
		from = len(s)
	}
	s = head + "…" + s[from:]
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
