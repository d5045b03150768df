package world_test

import (
	"errors"
	"testing"

	"github.com/edgelab/edgelab/sim/pingworld"
	"github.com/edgelab/edgelab/sim/world"
)

// TestWithPropertyAddsAViolation: the caller's property judges the same
// run as the world's own, after them, and the run itself is unchanged.
func TestWithPropertyAddsAViolation(t *testing.T) {
	base := pingworld.World{}
	var seen *pingworld.Result
	w := world.WithProperty(base, "mine", func(r *pingworld.Result) error {
		seen = r
		return errors.New("always\nbroken")
	})
	plan := base.DefaultPlan()
	o, err := w.Run(base.DefaultSeed(), plan, world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	own, err := base.Run(base.DefaultSeed(), base.DefaultPlan(), world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	last := o.Violations[len(o.Violations)-1]
	if seen == nil || last != (world.Violation{Property: "mine", Message: "always broken"}) ||
		len(o.Violations) != len(own.Violations)+1 || o.Trace.HashHex() != own.Trace.HashHex() || w.Name() != base.Name() {
		t.Fatalf("violations %v (own %v)", o.Violations, own.Violations)
	}
	ok := world.WithProperty(base, "fine", func(*pingworld.Result) error { return nil })
	if o, _ := ok.Run(base.DefaultSeed(), base.DefaultPlan(), world.Options{}); len(o.Violations) != len(own.Violations) {
		t.Fatalf("a holding property added %v", o.Violations)
	}
}
