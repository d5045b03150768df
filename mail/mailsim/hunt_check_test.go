package mailsim

import (
	"testing"

	"github.com/edgelab/edgelab/sim/world"
)

func TestHuntPlansPassOnCorrectCode(t *testing.T) {
	if testing.Short() {
		t.Skip("40 runs: skipped with -short")
	}
	for i := range 40 {
		p := world.HuntPlan(World{}, uint64(i))
		o, err := World{}.Run(*p.Seed, p, world.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !o.Pass() {
			t.Errorf("hunt plan %d fails on correct code: %s", i, o.Why())
		}
	}
}
