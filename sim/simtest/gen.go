// Package simtest is the bridge between the simulator and property tests
// with pgregory.net/rapid: generators that draw plans (and shrink them by
// deleting faults and operations and quieting the network), Check, which
// runs a world (sim/world) over drawn plans and saves the minimal plan that
// breaks one of its properties as a replay file, Minimize, which does the
// same search without failing the calling test and returns the minimal
// plan for inspection, and Replay, which reruns a saved file.
//
// It lives apart from package sim because rapid imports "testing" and
// registers command-line flags: service binaries that import sim for its
// Env must not pull those in.
package simtest

import (
	"github.com/edgelab/edgelab/sim/plan"
	"pgregory.net/rapid"

	"github.com/edgelab/edgelab/sim/world"
)

// PlanGen draws plans for w, from its shape.
func PlanGen(w world.World, opts plan.GenOptions) *rapid.Generator[*plan.Plan] {
	return ShapeGen(w.Shape(), opts)
}

// ShapeGen draws plans for shape.
func ShapeGen(shape plan.Shape, opts plan.GenOptions) *rapid.Generator[*plan.Plan] {
	return rapid.Custom(func(t *rapid.T) *plan.Plan {
		return plan.Draw(Drawer(t), shape, opts)
	})
}

// Drawer adapts a rapid.T to plan.Drawer: integers are rapid.IntRange
// (which shrinks toward the lower bound) and lists are rapid.SliceOfN
// (which shrinks by deleting elements).
func Drawer(t *rapid.T) plan.Drawer { return rapidDrawer{t} }

type rapidDrawer struct{ t *rapid.T }

func (r rapidDrawer) Int(label string, min, max int) int {
	if max <= min {
		return min
	}
	return rapid.IntRange(min, max).Draw(r.t, label)
}

func (r rapidDrawer) List(label string, min, max int, elem func(plan.Drawer) any) []any {
	g := rapid.Custom(func(t *rapid.T) any { return elem(rapidDrawer{t}) })
	return rapid.SliceOfN(g, min, max).Draw(r.t, label)
}
