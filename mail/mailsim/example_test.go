package mailsim_test

import (
	"fmt"
	"strings"

	"github.com/edgelab/edgelab/mail/mailsim"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/simtest"
	"github.com/edgelab/edgelab/sim/world"
)

// Writing a property of your own for the mail world: RunResult hands
// world.WithProperty each run's Result (mailboxes, activity logs,
// attacks, trace), and the plans come from the world's shape, faults and
// all. With simtest.Check(t, w, gen, world.Options{}) in a test, a
// failure is shrunk and saved as a replay file `edgelab replay` reruns.
func Example() {
	// "Destinations get mail only through the router: its envelope
	// sender is an SRS address of the router's domain, or a bounce's <>."
	w := world.WithProperty(mailsim.World{}, "only-through-the-router", func(r *mailsim.Result) error {
		for _, d := range r.Mailboxes {
			if strings.HasPrefix(d.Node, "dest-") && d.From != "" && !strings.HasSuffix(d.From, "@"+mailsim.OurDomain) {
				return fmt.Errorf("%s got mail from %s", d.Node, d.From)
			}
		}
		return nil
	})
	gen := simtest.PlanGen(mailsim.World{}, sim.GenOptions{MaxFaults: 2})
	f, err := simtest.Minimize(w, gen, world.Options{}, simtest.MinimizeOptions{Checks: 5})
	switch {
	case err != nil:
		fmt.Println(err)
	case f == nil:
		fmt.Println("held on every plan tried")
	default:
		fmt.Println("broken:", f.Outcome.Why())
	}
	// Output:
	// held on every plan tried
}
