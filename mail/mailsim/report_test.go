package mailsim

import (
	"testing"

	"github.com/edgelab/edgelab/mail/mailfacts"
	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/world"
)

// The report's figures are read from the swept runs run again: the
// outcomes over time add up to the router's facts in the traces the sweep
// itself produced, bucket by bucket, and the spool waits make a
// distribution (rising, ending at 1).
func TestChartsCountTheSweptRunsFacts(t *testing.T) {
	w := World{}
	var runs []world.SweptRun
	want := map[string]float64{}
	for seed := uint64(1); seed <= 3; seed++ {
		plan := sim.SoakPlan(w.Shape(), seed)
		o, err := world.Run(w, seed, plan, world.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range o.Trace.Events {
			if e.Kind == model.Fact && e.Node == RouterNode {
				want[e.Name]++
			}
		}
		o.Trace = nil // as the lab hands them over
		runs = append(runs, world.SweptRun{Seed: seed, Plan: plan, Outcome: o})
	}
	charts, err := w.Charts(runs)
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != 2 {
		t.Fatalf("%d charts, want 2", len(charts))
	}
	for i, s := range charts[0].Series {
		got := 0.0
		for _, y := range s.Y {
			got += y
		}
		fact := reportOutcomes[i].fact
		if got != want[fact] {
			t.Errorf("%s: the chart counts %v, the sweep's traces hold %v %s facts", s.Name, got, want[fact], fact)
		}
	}
	if want[mailfacts.MailDelivered] == 0 || want[mailfacts.MailRefused] == 0 {
		t.Fatalf("the sweep delivered or refused nothing: %v", want)
	}
	cdf := charts[1].Series[0]
	if float64(len(cdf.Y)) != want[mailfacts.MailDelivered] {
		t.Errorf("%d spool waits for %v deliveries", len(cdf.Y), want[mailfacts.MailDelivered])
	}
	for i := 1; i < len(cdf.X); i++ {
		if cdf.X[i] < cdf.X[i-1] || cdf.Y[i] <= cdf.Y[i-1] {
			t.Fatalf("the spool waits are not a distribution at %d: %v,%v after %v,%v", i, cdf.X[i], cdf.Y[i], cdf.X[i-1], cdf.Y[i-1])
		}
	}
	if last := cdf.Y[len(cdf.Y)-1]; last != 1 {
		t.Errorf("the distribution ends at %v", last)
	}
}
