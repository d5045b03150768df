package ohttpsim

import (
	"os"
	"testing"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/sim/plan"
)

func loadPlan(t *testing.T, path string) *plan.Plan {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Every fault kind the plan language has, on: each seed twice gives the
// same trace, and different seeds different ones.
func TestDeterminismAllFaults(t *testing.T) {
	p := loadPlan(t, "testdata/allfaults.json")
	kinds := map[string]bool{}
	for _, f := range p.Faults {
		kinds[f.Kind] = true
	}
	for _, k := range plan.FaultKinds() {
		if !kinds[k] {
			t.Errorf("testdata/allfaults.json lacks fault kind %q", k)
		}
	}
	hashes := map[string]uint64{}
	for _, seed := range []uint64{1, 2, 3} {
		a, err := Evaluate(seed, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Evaluate(seed, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ha, hb := a.Trace.HashHex(), b.Trace.HashHex()
		if ha != hb {
			t.Fatalf("seed %d: trace hashes differ: %s %s", seed, ha, hb)
		}
		if s, dup := hashes[ha]; dup {
			t.Fatalf("seeds %d and %d gave the same trace", s, seed)
		}
		hashes[ha] = seed
		if err := a.Err(); err != nil {
			t.Errorf("seed %d: %v", seed, err)
		}
		t.Logf("seed %d: %s sha256:%s", seed, a.Figures(), ha[:16])
	}
}

func TestHealthyRunAnswersEverything(t *testing.T) {
	p, err := plan.Parse([]byte(`{"knobs": {"rotate_every": "500ms"}}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(p)
	if err != nil {
		t.Fatal(err)
	}
	st := r.Stats
	if st.Sent != st.Slots || st.Answered != st.Sent || st.Rotations == 0 {
		t.Fatalf("healthy run: %s", r.Figures())
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
}

// Rotation with a short grace period: pinned keys expire, clients are
// refused with the ohttp-key problem, refetch and retry.
func TestRotationRefetch(t *testing.T) {
	p, err := plan.Parse([]byte(`{"knobs": {"rotate_every": "400ms", "grace": "100ms", "requests": 8}}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Stats.Retries == 0 || r.Stats.Answered != r.Stats.Sent {
		t.Fatalf("want refetches and every request answered: %s", r.Figures())
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultPlanPasses(t *testing.T) {
	p, err := plan.Parse([]byte(DefaultPlan))
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		r, err := Evaluate(seed, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("seed %d: %v", seed, err)
		}
		if seed == 1 {
			t.Logf("%s %v", r.Figures(), r.Verdicts)
			if r.Stats.Answered == 0 || r.Stats.Answered == r.Stats.Sent {
				t.Errorf("faults had no visible effect: %s", r.Figures())
			}
		}
	}
}

// Two relays, each forwarding to its own gateway: each client goes
// through its relay, and the linking checks hold per relay and gateway.
func TestTwoRelaysTwoGateways(t *testing.T) {
	p, err := plan.Parse([]byte(`{"knobs": {"clients": 4, "relays": 2, "gateways": 2}}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, e := range r.Trace.Facts() {
		if e.Name == "RelayForward" || e.Name == "GatewayRecv" {
			used[e.Node] = true
		}
	}
	if !used["relay"] || !used["relay-2"] || !used["gateway"] || !used["gateway-2"] || r.Stats.Answered != r.Stats.Sent {
		t.Fatalf("relays used %v; %s", used, r.Figures())
	}
}

// Duplicated requests (every link duplicates half its messages) reach
// the gateway twice and are answered twice; the client keeps the answer
// to its own request and property 1's binding checks hold.
func TestDuplicatesAreAnsweredAndBound(t *testing.T) {
	p, err := plan.Parse([]byte(`{"network": {"default": {"dup": 0.5}}}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(p)
	if err != nil {
		t.Fatal(err)
	}
	recv := 0
	for _, e := range r.Trace.Facts() {
		if e.Name == "GatewayRecv" {
			recv++
		}
	}
	if recv <= r.Stats.Sent {
		t.Fatalf("gateway decapsulated %d requests for %d sent: no duplicate reached it", recv, r.Stats.Sent)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if r.Stats.Answered != r.Stats.Sent {
		t.Fatalf("%s", r.Figures())
	}
}

// Every party and every used link has a view, and a relay that leaks
// X-Forwarded-For shows up in the gateway's view as the client's address.
func TestViewsShowLeaks(t *testing.T) {
	r, err := Simulate(1, nil, Options{Bugs: ohttp.NewBugs(ohttp.BugRelayForwardXFF)})
	if err != nil {
		t.Fatal(err)
	}
	views := r.Views()
	for _, p := range append(r.Parties(), "net:client-1->relay", "net:relay->gateway", "net:gateway->target") {
		if len(views[p].Observations) == 0 {
			t.Errorf("view %s is empty", p)
		}
	}
	want := model.Pair(model.NewConst("x-forwarded-for"), obsAtom(r.Addrs["client-1"]))
	found := false
	for _, o := range views[GatewayNode].Observations {
		for _, term := range o.Terms {
			found = found || term.Equal(want)
		}
	}
	if !found {
		t.Fatal("the gateway's view lacks the leaked X-Forwarded-For of client-1")
	}
}
