package cachesim_test

import (
	"fmt"

	"github.com/edgelab/edgelab/cache/cachesim"
	"github.com/edgelab/edgelab/sim/simtest"
	"github.com/edgelab/edgelab/sim/world"
)

// Writing a property of your own over generated cache-world plans:
// RunResult hands world.WithProperty each run's Result.
func Example() {
	// "A client never sees a 5xx other than 502/504 (lost messages)."
	w := world.WithProperty(cachesim.World{}, "no-500", func(r *cachesim.Result) error {
		for _, x := range r.Responses() {
			if x.Status == 500 {
				return fmt.Errorf("client-%d got 500 for %s", x.Client, x.Path)
			}
		}
		return nil
	})
	gen := simtest.PlanGen(cachesim.World{}, world.HuntOptions)
	f, err := simtest.Minimize(w, gen, world.Options{}, simtest.MinimizeOptions{Checks: 20})
	fmt.Println("held on every plan tried:", err == nil && f == nil)
	// With the outage bug on, the world's own properties fail first.
	f, err = simtest.Minimize(w, gen, world.Options{Bugs: []string{cachesim.BugTraceClearsControl}}, simtest.MinimizeOptions{Checks: 20})
	fmt.Println("outage caught:", err == nil && f != nil)
	// Output:
	// held on every plan tried: true
	// outage caught: true
}
