package mailsim

import (
	"os"
	"testing"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/world"
)

// A DNS that answers the DMARC policy's TXT query with NXDOMAIN hides the
// p=reject policy: the router sees no policy and forwards the spoof, as any
// receiver would. The judge excuses exactly that (soak seed 1008 found it:
// the excuse covered only temperror), and still holds the router to the
// policy when the lie is not told.
func TestNXDOMAINForTheDMARCPolicyIsExcused(t *testing.T) {
	// The soak plan of seed 1008 as it was drawn: an NXDOMAIN spell for
	// TXT begins after the router has checked w19's SPF and DKIM and
	// before it looks up strict.example's policy.
	data, err := os.ReadFile("testdata/soak-1008.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := sim.ParsePlan(data)
	if err != nil {
		t.Fatal(err)
	}
	r, o, err := World{}.RunResult(1008, p, world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Pass() {
		t.Errorf("%s", o.Why())
	}
	forwarded := 0
	for _, m := range r.Workload {
		for _, rc := range m.Rcpts {
			if f := r.senderFinal(m, rc.Addr); rc.Fate == FateRefuse && f != nil && f.Status == activity.Forwarded {
				forwarded++
			}
		}
	}
	if forwarded == 0 {
		t.Fatal("no spoof was forwarded under the lie: the test shows nothing")
	}
}
