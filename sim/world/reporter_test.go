package world

import (
	"errors"
	"fmt"
	"testing"

	"github.com/edgelab/edgelab/sim"
)

// Again hands back each run's result in the runs' order, whatever order
// its goroutines finish in; a run the kernel stopped is left out as the
// zero value, and any other error is Again's.
func TestAgainKeepsOrderAndSkipsStoppedRuns(t *testing.T) {
	var runs []SweptRun
	for seed := uint64(1); seed <= 50; seed++ {
		runs = append(runs, SweptRun{Seed: seed})
	}
	got, err := Again(runs, func(r SweptRun) (string, error) {
		if r.Seed == 7 {
			return "partial", fmt.Errorf("seed 7: %w", &sim.StepLimitError{Steps: 1})
		}
		return fmt.Sprint(r.Seed), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range got {
		want := fmt.Sprint(i + 1)
		if i+1 == 7 {
			want = ""
		}
		if s != want {
			t.Fatalf("result %d is %q, want %q", i, s, want)
		}
	}
	broken := errors.New("broken")
	if _, err := Again(runs, func(r SweptRun) (int, error) {
		if r.Seed%10 == 0 {
			return 0, broken
		}
		return 1, nil
	}); !errors.Is(err, broken) {
		t.Errorf("error %v, want %v", err, broken)
	}
	if got, err := Again(nil, func(SweptRun) (int, error) { return 1, nil }); err != nil || len(got) != 0 {
		t.Errorf("no runs: %v, %v", got, err)
	}
}
