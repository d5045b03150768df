package cachesim

import (
	"crypto/rand"
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/simtest"
	"github.com/edgelab/edgelab/sim/world"
)

// defaultChecks is rapid's default number of checks per property.
const defaultChecks = 100

// The outage is caught within rapid's default checks from any rapid
// seed: 20 runs, each from a random seed, draw plans as rapid would (one
// per check, each from its own seed) until one fails. The median wall
// time to detect is logged (a figure, not a bound: timing is the
// benchmark's business).
func TestOutageCaughtWithinDefaultChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("20 detection runs: skipped with -short")
	}
	gen := simtest.PlanGen(World{}, world.HuntOptions)
	opts := world.Options{Bugs: []string{BugTraceClearsControl}}
	var walls []time.Duration
	var checks []int
	for run := range 20 {
		var b [8]byte
		rand.Read(b[:])
		base := int(binary.LittleEndian.Uint64(b[:]) >> 2)
		start := time.Now()
		caught := false
		for i := range defaultChecks {
			p := gen.Example(base + i)
			o, err := World{}.Run(*p.Seed, p, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !o.Pass() {
				walls, checks, caught = append(walls, time.Since(start)), append(checks, i+1), true
				break
			}
		}
		if !caught {
			t.Fatalf("run %d (rapid seed base %d): the outage was not caught in %d checks", run, base, defaultChecks)
		}
	}
	slices.Sort(walls)
	slices.Sort(checks)
	t.Logf("outage caught in all 20 runs: median %v to detect (min %v, max %v), median %d checks (max %d)",
		walls[len(walls)/2].Round(time.Millisecond), walls[0].Round(time.Millisecond), walls[len(walls)-1].Round(time.Millisecond),
		checks[len(checks)/2], checks[len(checks)-1])
}
