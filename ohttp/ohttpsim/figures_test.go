package ohttpsim

import (
	"strings"
	"testing"

	"github.com/edgelab/edgelab/sim/plan"
)

// TestUnfinishedRequestsAreCountedAsSuch: with the relay clogged towards
// everyone, clients keep retrying key fetches until the run's time limit,
// so some requests never end. They are counted as unfinished (not as
// "lost to a crash": nothing crashed), and every sent request is in
// exactly one counter.
func TestUnfinishedRequestsAreCountedAsSuch(t *testing.T) {
	p, err := plan.Parse([]byte(`{"knobs": {"clients": 2, "requests": 2},
	  "faults": [{"at": "0s", "kind": "clog", "from": ["relay"], "to": ["client-1", "client-2"], "oneway": true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Simulate(1, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Stats
	if s.Sent != 4 || s.Answered != 0 || s.Unfinished() == 0 ||
		s.Sent != s.Answered+s.TimedOut+s.Mismatched+s.Failed+s.Unfinished() {
		t.Fatalf("stats %+v, unfinished %d", s, s.Unfinished())
	}
	if f := r.Figures().String(); !strings.Contains(f, " unfinished=") || strings.Contains(f, "lost=") {
		t.Fatalf("figures %s", r.Figures())
	}
}
