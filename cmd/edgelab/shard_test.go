package main

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/edgelab/edgelab/sim/sweep"
)

// TestShardsCoverTheSeedRangeExactly: for any range and shard count, the
// shards' seeds together are the range, each seed in exactly one shard.
func TestShardsCoverTheSeedRangeExactly(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		first := rapid.Uint64Range(0, 1<<40).Draw(t, "first")
		r := sweep.Range{First: first, Last: first + rapid.Uint64Range(0, 300).Draw(t, "span")}
		n := rapid.Uint64Range(1, 40).Draw(t, "shards")
		seen := map[uint64]uint64{}
		for i := range n {
			for _, s := range (sweep.Shard{Index: i, Count: n}).Seeds(r) {
				if prev, dup := seen[s]; dup {
					t.Fatalf("seed %d in shards %d and %d of %d", s, prev, i, n)
				}
				if s < r.First || s > r.Last {
					t.Fatalf("shard %d/%d holds seed %d outside %v", i, n, s, r)
				}
				seen[s] = i
			}
		}
		if got, want := uint64(len(seen)), r.Last-r.First+1; got != want {
			t.Fatalf("%d shards of %v cover %d seeds, want %d", n, r, got, want)
		}
	})
}

// TestMergedShardsEqualAnUnshardedSweep: for every world, a soak sweep
// run in shards and merged reports exactly what the unsharded sweep does.
func TestMergedShardsEqualAnUnshardedSweep(t *testing.T) {
	seeds := sweep.Range{First: 1, Last: 4}
	for _, w := range worlds {
		t.Run(w.Name(), func(t *testing.T) {
			cfg, err := sweepConfig(w.Name(), seeds.String(), "", "", true, 0)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			sweepOf := func(sh sweep.Shard) *sweep.Report {
				rs, err := sweep.Run(context.Background(), sweep.Options{Seeds: seeds, Shard: sh},
					func(seed uint64) sweep.Result { return cfg.runSeed(seed, dir) })
				if err != nil {
					t.Fatal(err)
				}
				return sweep.NewReport(w.Name(), cfg.mode, seeds, sh, rs)
			}
			whole := sweepOf(sweep.Shard{})
			var parts []*sweep.Report
			for _, i := range []uint64{1, 0} {
				parts = append(parts, sweepOf(sweep.Shard{Index: i, Count: 2}))
			}
			merged, err := sweep.Merge(parts...)
			if err != nil {
				t.Fatal(err)
			}
			if !merged.Complete() {
				t.Fatalf("merged shards miss seeds %v", merged.Missing())
			}
			if diff := cmp.Diff(whole.Results, merged.Results); diff != "" {
				t.Fatalf("merged shards differ from the unsharded sweep (-whole +merged):\n%s", diff)
			}
			if whole.Passed != merged.Passed || whole.Failed != merged.Failed {
				t.Fatalf("passed/failed: whole %d/%d, merged %d/%d", whole.Passed, whole.Failed, merged.Passed, merged.Failed)
			}
			if !slices.IsSortedFunc(merged.Results, func(a, b sweep.Result) int { return int(a.Seed) - int(b.Seed) }) {
				t.Fatal("merged results out of seed order")
			}
		})
	}
}
