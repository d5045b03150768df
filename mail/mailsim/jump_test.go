package mailsim

import (
	"testing"

	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/world"
)

// Clock jumps of the router's and the destinations' clocks (up to six
// hours either way: across midnight for SRS's day stamps, past retry
// times, around DKIM's t=) on correct code: every property holds. Before
// the queue bounded its waits by the longest backoff, the SMTP client took
// a timed-out read as due, and SRS read tomorrow's stamp as today's, 11 of
// 60 such plans failed.
func TestClockJumpsHoldOnCorrectCode(t *testing.T) {
	if testing.Short() {
		t.Skip("40 runs: skipped with -short")
	}
	opts := sim.GenOptions{MaxFaults: 4, Kinds: []string{"clock_jump"}}
	jumps := 0
	for i := range 40 {
		p := sim.DrawPlan(sim.SeedDrawer(uint64(i), "mail/clock-jumps"), Shape, opts)
		for _, f := range p.Faults {
			if f.Kind == "clock_jump" && (f.By.D() > 3600e9 || f.By.D() < -3600e9) {
				jumps++
			}
		}
		o, err := World{}.Run(*p.Seed, p, world.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !o.Pass() {
			t.Errorf("plan %d (%#v): %s", i, p, o.Why())
		}
	}
	if jumps < 10 {
		t.Fatalf("only %d jumps of over an hour drawn", jumps)
	}
}
