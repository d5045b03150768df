package main

// The soak of every world: each world's soak plans (drawn from the seed,
// as `edgelab sweep --soak` draws them) over many seeds, on correct code.
// A failing seed is a generator and a property that disagree — a plan the
// generator may draw on which a correct world cannot pass — and is a bug
// in one of them. A soak takes minutes, so it runs only when asked:
//
//	EDGELAB_SOAK=2000 go test ./cmd/edgelab -run Soak -timeout 3h
//
// (EDGELAB_SOAK_WORLDS=ping,ohttp limits it to some worlds.)

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/sweep"
)

func TestSoakEveryWorld(t *testing.T) {
	n, _ := strconv.ParseUint(os.Getenv("EDGELAB_SOAK"), 10, 64)
	if n == 0 {
		t.Skip("the soak runs with EDGELAB_SOAK=SEEDS set (for example 2000)")
	}
	var only []string
	if v := os.Getenv("EDGELAB_SOAK_WORLDS"); v != "" {
		only = strings.Split(v, ",")
	}
	for _, w := range worlds {
		if only != nil && !slices.Contains(only, w.Name()) {
			continue
		}
		t.Run(w.Name(), func(t *testing.T) {
			cfg, err := sweepConfig(w.Name(), "1.."+strconv.FormatUint(n, 10), "", "", true, 0)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			start := time.Now()
			rs, err := sweep.Run(context.Background(), sweep.Options{Seeds: cfg.seeds}, func(seed uint64) sweep.Result {
				return cfg.runSeed(seed, dir)
			})
			if err != nil {
				t.Fatal(err)
			}
			wall := time.Since(start)
			for _, r := range rs {
				if r.Error != "" || !r.Pass {
					t.Errorf("seed %d: %s%s (replay file %s)", r.Seed, r.Failure, r.Error, r.Replay)
				}
			}
			t.Logf("%s: %d soak seeds in %v, %.1f seeds/s", w.Name(), len(rs), wall.Round(time.Millisecond), float64(len(rs))/wall.Seconds())
		})
	}
}
