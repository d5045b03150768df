package ohttpsim

// These tests hold the services, the world and the Tamarin theory in step:
// the facts the services record are the theory's action facts, real traces
// of the world replay as runs of the theory with every lemma holding for
// every party, and each seeded bug yields a trace that violates a lemma.

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/check"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

func parseTheory(t *testing.T, name string) *spthy.Theory {
	t.Helper()
	th, err := tamarin.Parse(name)
	if err != nil {
		t.Fatalf("theory %s: %v", name, err)
	}
	return th
}

// TestServiceFactsAreTheTheorysActionFacts: the main theory uses every
// fact the services record, with the same arity, and its checker
// vocabulary is exactly those facts. A narrower theory (ohttp_partitioned
// models the request path only) uses a subset, again with the same
// arities, and lists that subset as its vocabulary.
func TestServiceFactsAreTheTheorysActionFacts(t *testing.T) {
	var all []string
	for name := range ohttp.FactArity {
		all = append(all, name)
	}
	sort.Strings(all)
	for _, th := range tamarin.Theories() {
		t.Run(th.Name, func(t *testing.T) {
			parsed := parseTheory(t, th.Name)
			arities := map[string]map[int]bool{}
			for _, r := range parsed.Rules {
				for _, a := range r.Actions {
					if arities[a.Name] == nil {
						arities[a.Name] = map[int]bool{}
					}
					arities[a.Name][len(a.Args)] = true
				}
			}
			var used []string
			for _, name := range all {
				got, arity := arities[name], ohttp.FactArity[name]
				switch {
				case got == nil && th.Name == "ohttp":
					t.Errorf("service fact %s/%d: not in the theory", name, arity)
				case got == nil:
				case !got[arity] || len(got) != 1:
					t.Errorf("service fact %s/%d: theory uses arities %v", name, arity, keys(got))
				default:
					used = append(used, name)
				}
			}
			cfg, err := check.ConfigFor(parsed)
			if err != nil {
				t.Fatal(err)
			}
			vocab := append([]string(nil), cfg.Vocabulary...)
			sort.Strings(vocab)
			if strings.Join(vocab, ",") != strings.Join(used, ",") {
				t.Errorf("checker vocabulary %v, the theory uses the service facts %v", vocab, used)
			}
		})
	}
}

func keys(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

var singleParties = [][]string{{"relay"}, {"gateway"}, {"target"}, {"network"}}

func checkAll(t *testing.T, th *spthy.Theory, tr *model.Trace) []*check.Report {
	t.Helper()
	run, err := check.New(th, tr, check.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*check.Report
	for _, adv := range singleParties {
		rep, err := run.Evaluate(adv)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rep)
	}
	return out
}

func TestWorldTracesPassTheChecker(t *testing.T) {
	th := parseTheory(t, "ohttp")
	allFaults, err := os.ReadFile("testdata/allfaults.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range []struct {
		seed uint64
		plan string
	}{
		{1, DefaultPlan}, {2, DefaultPlan},
		// Two relays (two RelayUp facts) each in front of its own gateway.
		{1, `{"knobs": {"clients": 4, "relays": 2, "gateways": 2}}`},
		{3, string(allFaults)},
	} {
		seed := run.seed
		p, err := plan.Parse([]byte(run.plan))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Simulate(seed, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, rep := range checkAll(t, th, res.Trace) {
			if !rep.Conformance.OK {
				t.Errorf("seed %d, adversary %v: trace does not conform: %+v", seed, rep.Adversary, rep.Conformance.Failure)
			}
			for _, l := range rep.Lemmas {
				if l.Verdict == check.Violated {
					t.Errorf("seed %d, adversary %v: lemma %s violated: %+v", seed, rep.Adversary, l.Name, l.Witness)
				}
			}
		}
	}
}

// TestEverySeededBugViolatesALemma: a trace made with any one seeded bug
// switched on violates at least one lemma of ohttp.spthy for at least one
// party (or for every party, when the lemma is about the honest roles'
// facts alone, like key_consistency and response_bound).
func TestEverySeededBugViolatesALemma(t *testing.T) {
	th := parseTheory(t, "ohttp")
	for _, bug := range ohttp.AllBugs() {
		t.Run(string(bug), func(t *testing.T) {
			p, err := plan.Parse([]byte(`{"world":"ohttp","knobs":{"clients":3,"requests":3}}`))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Simulate(1, p, Options{Bugs: ohttp.Bugs{bug: true}})
			if err != nil {
				t.Fatal(err)
			}
			var found []string
			for _, rep := range checkAll(t, th, res.Trace) {
				for _, l := range rep.Lemmas {
					if l.Verdict == check.Violated {
						found = append(found, strings.Join(rep.Adversary, "+")+":"+l.Name)
					}
				}
			}
			if len(found) == 0 {
				t.Fatalf("no lemma is violated for any party with %s on", bug)
			}
			t.Logf("%s violates %v", bug, found)
		})
	}
}
