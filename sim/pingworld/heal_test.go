package pingworld

import (
	"testing"

	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/plan"
)

// TestDrawnPlansDemandAnswersAfterHealing: soak plans heal halfway through
// the pings, so (on correct code) every ping sent after healing is
// answered; and nearly every plan sends some, so the demand is real.
func TestDrawnPlansDemandAnswersAfterHealing(t *testing.T) {
	demanded := 0
	const seeds = 60
	for seed := range uint64(seeds) {
		p := plan.Soak(Shape, seed)
		r, err := Run(seed, p)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Healed {
			t.Fatalf("seed %d: a drawn plan did not heal", seed)
		}
		if err := r.Check(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if r.HealedSent > 0 {
			demanded++
		}
	}
	if demanded < seeds*9/10 {
		t.Fatalf("only %d of %d plans sent pings after healing", demanded, seeds)
	}
}

// TestCheckDemandsEveryPingAfterHealing: one unanswered ping after
// healing fails the run, where before healing it would not.
func TestCheckDemandsEveryPingAfterHealing(t *testing.T) {
	r := &Result{Config: Config{Clients: 1, Pings: 3}, Sent: 3, Answered: 2, TimedOut: 1,
		Served: 3, Report: &sim.Report{}, Healed: true, HealedSent: 2, HealedAnswered: 1}
	if err := r.Check(); err == nil {
		t.Fatal("an unanswered ping after healing passed")
	}
	r.HealedSent, r.HealedAnswered = 1, 1
	if err := r.Check(); err != nil {
		t.Fatalf("a timeout before healing failed the run: %v", err)
	}
}
