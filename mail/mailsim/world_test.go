package mailsim

import (
	"testing"

	"github.com/edgelab/edgelab/sim/world"
)

func TestDefaultRunPasses(t *testing.T) {
	_, o, err := World{}.RunResult(1, nil, world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(o.Figures, o.Details)
	for _, v := range o.Violations {
		t.Error(v)
	}
}

func TestDefaultPlanPassesAndIsDeterministic(t *testing.T) {
	w := World{}
	a, err := w.Run(w.DefaultSeed(), w.DefaultPlan(), world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(a.Figures, a.Details)
	for _, v := range a.Violations {
		t.Error(v)
	}
	b, err := w.Run(w.DefaultSeed(), w.DefaultPlan(), world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Trace.HashHex() != b.Trace.HashHex() {
		t.Fatalf("same seed and plan, traces %s and %s", a.Trace.HashHex(), b.Trace.HashHex())
	}
}
