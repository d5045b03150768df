package mailsim

import (
	"testing"

	"github.com/edgelab/edgelab/sim/simtest"
)

// Every seeded bug is caught by the properties on a plan of the world's
// bug-hunting stream (generated, not hand-picked) and shrinks to a small
// plan.
func TestEveryBugIsCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("hunts every bug: skipped with -short")
	}
	simtest.CatchesEveryBug(t, World{}, 40)
}
