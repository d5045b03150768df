package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRangeAndShard(t *testing.T) {
	for in, want := range map[string]Range{"1..100": {1, 100}, "7": {7, 7}, "0..0": {0, 0}} {
		if got, err := ParseRange(in); err != nil || got != want {
			t.Errorf("ParseRange(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "a..b", "5..1", "1..", "..3", "-1..2", "1...3"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("ParseRange(%q) accepted", bad)
		}
	}
	if s, err := ParseShard("3/8"); err != nil || s != (Shard{3, 8}) {
		t.Errorf("ParseShard: %v %v", s, err)
	}
	for _, bad := range []string{"", "1", "8/8", "1/0", "a/2", "-1/2", "1/2/3"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
}

// TestShardsPartitionTheRange: every seed is in exactly one shard.
func TestShardsPartitionTheRange(t *testing.T) {
	for _, r := range []Range{{0, 0}, {1, 100}, {5, 7}, {13, 13}, {math.MaxUint64 - 10, math.MaxUint64}} {
		for n := uint64(1); n <= 9; n++ {
			var all []uint64
			for i := range n {
				for _, s := range (Shard{i, n}).Seeds(r) {
					if s%n != i {
						t.Fatalf("%v shard %d/%d holds seed %d", r, i, n, s)
					}
					all = append(all, s)
				}
			}
			slices.Sort(all)
			want := Shard{}.Seeds(r)
			if !slices.Equal(all, want) {
				t.Fatalf("%v in %d shards: %v, want %v", r, n, all, want)
			}
		}
	}
}

// fake is a deterministic world: seeds divisible by 7 fail, the time a
// seed takes varies so that jobs finish out of order.
func fake(seed uint64) Result {
	time.Sleep(time.Duration(seed%5) * time.Millisecond)
	r := Result{Pass: seed%7 != 0, TraceSHA256: fmt.Sprintf("%064x", seed*2654435761), Figures: map[string]int64{"sent": int64(seed)}}
	if !r.Pass {
		r.Failure = fmt.Sprintf("seed %d is a multiple of 7", seed)
	}
	return r
}

func TestRunIsIndependentOfJobs(t *testing.T) {
	var want []byte
	for _, jobs := range []int{1, 2, 8, 64} {
		var order []uint64
		rs, err := Run(context.Background(), Options{Seeds: Range{1, 60}, Jobs: jobs, Each: func(r Result) { order = append(order, r.Seed) }}, fake)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.IsSorted(order) || len(order) != 60 {
			t.Fatalf("jobs %d: Each saw %v", jobs, order)
		}
		b, _ := NewReport("fake", "default", Range{1, 60}, Shard{}, rs).Marshal()
		if want == nil {
			want = b
		} else if !bytes.Equal(b, want) {
			t.Fatalf("jobs %d: different report", jobs)
		}
	}
}

func TestRunBoundsConcurrencyAndSurvivesPanics(t *testing.T) {
	var running, peak atomic.Int64
	rs, err := Run(context.Background(), Options{Seeds: Range{0, 39}, Jobs: 3}, func(seed uint64) Result {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		if seed == 13 {
			panic("boom")
		}
		return Result{Pass: true}
	})
	if err != nil || len(rs) != 40 {
		t.Fatal(err, len(rs))
	}
	if peak.Load() > 3 {
		t.Fatalf("%d seeds ran at once with --jobs 3", peak.Load())
	}
	if rs[13].Pass || rs[13].Error != "panic: boom" || rs[13].Seed != 13 {
		t.Fatalf("panicking seed: %+v", rs[13])
	}
}

func TestRunStopsWhenCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rs, err := Run(ctx, Options{Seeds: Range{0, 1000}, Jobs: 2}, func(seed uint64) Result {
		if seed == 10 {
			cancel()
		}
		return Result{Pass: true}
	})
	if !errors.Is(err, context.Canceled) || len(rs) > 20 {
		t.Fatalf("err %v, %d results", err, len(rs))
	}
	for i, r := range rs {
		if r.Seed != uint64(i) {
			t.Fatalf("gap in results at %d", i)
		}
	}
}

func TestRunRefusesHugeRanges(t *testing.T) {
	if _, err := Run(context.Background(), Options{Seeds: Range{0, math.MaxUint64}}, fake); err == nil {
		t.Fatal("ran 2^64 seeds")
	}
}

// TestMergeShardsEqualsOneSweep: running 4 shards apart and merging gives
// the report of running the whole range at once.
func TestMergeShardsEqualsOneSweep(t *testing.T) {
	r := Range{3, 77}
	all, _ := Run(context.Background(), Options{Seeds: r}, fake)
	whole := NewReport("fake", "soak", r, Shard{}, all)
	var parts []*Report
	for _, i := range []uint64{2, 0, 3, 1} {
		rs, _ := Run(context.Background(), Options{Seeds: r, Shard: Shard{i, 4}, Jobs: 3}, fake)
		// Through JSON, as shards travel.
		b, _ := NewReport("fake", "soak", r, Shard{i, 4}, rs).Marshal()
		rep, err := ReadReport(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, rep)
	}
	partial, err := Merge(parts[:2]...)
	if err != nil || partial.Complete() || !slices.Equal(partial.Missing(), []uint64{1, 3}) {
		t.Fatalf("partial merge: %v %v", err, partial.Missing())
	}
	m, err := Merge(partial, parts[2], parts[3])
	if err != nil {
		t.Fatal(err)
	}
	if !m.Complete() {
		t.Fatalf("merged covers %v", m.Covered)
	}
	a, _ := m.Marshal()
	wholeAs4 := *whole
	wholeAs4.Shards, wholeAs4.Covered = 4, []uint64{0, 1, 2, 3}
	b, _ := wholeAs4.Marshal()
	if !bytes.Equal(a, b) {
		t.Fatalf("merged shards differ from one sweep:\n%s\n%s", a, b)
	}
	if m.Failed != 11 || m.Passed != 64 {
		t.Fatalf("counts %d passed %d failed", m.Passed, m.Failed)
	}
}

func TestMergeRefusesMismatches(t *testing.T) {
	mk := func(world, mode string, r Range, sh Shard) *Report {
		rs, _ := Run(context.Background(), Options{Seeds: r, Shard: sh}, fake)
		return NewReport(world, mode, r, sh, rs)
	}
	base := mk("fake", "soak", Range{1, 20}, Shard{0, 2})
	for name, c := range map[string]struct {
		other *Report
		want  string
	}{
		"world":  {mk("other", "soak", Range{1, 20}, Shard{1, 2}), "another sweep"},
		"mode":   {mk("fake", "default", Range{1, 20}, Shard{1, 2}), "another sweep"},
		"range":  {mk("fake", "soak", Range{1, 21}, Shard{1, 2}), "another sweep"},
		"shards": {mk("fake", "soak", Range{1, 20}, Shard{1, 3}), "another sweep"},
		"twice":  {mk("fake", "soak", Range{1, 20}, Shard{0, 2}), "in two reports"},
	} {
		if _, err := Merge(base, c.other); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Merge(); err == nil {
		t.Error("merged nothing")
	}
}

func TestReadReportRejectsBadInput(t *testing.T) {
	good, _ := NewReport("fake", "soak", Range{1, 3}, Shard{}, []Result{{Seed: 1, Pass: true}, {Seed: 2, Pass: true}, {Seed: 3}}).Marshal()
	if _, err := ReadReport(bytes.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"not json": `{`,
		"unknown":  `{"version":2,"world":"w","mode":"m","seeds":"1..3","shards":1,"covered":[0],"bogus":1}`,
		"version":  `{"version":9,"world":"w","mode":"m","seeds":"1..3","shards":1,"covered":[0]}`,
		"range":    `{"version":2,"world":"w","mode":"m","seeds":"3..1","shards":1,"covered":[0]}`,
		"covered":  `{"version":2,"world":"w","mode":"m","seeds":"1..3","shards":2,"covered":[2]}`,
		"outside":  `{"version":2,"world":"w","mode":"m","seeds":"1..3","shards":1,"covered":[0],"passed":1,"results":[{"seed":9,"pass":true}]}`,
		"order":    `{"version":2,"world":"w","mode":"m","seeds":"1..3","shards":1,"covered":[0],"passed":2,"results":[{"seed":2,"pass":true},{"seed":1,"pass":true}]}`,
		"counts":   `{"version":2,"world":"w","mode":"m","seeds":"1..3","shards":1,"covered":[0],"passed":5,"results":[]}`,
		"trailing": `{"version":2,"world":"w","mode":"m","seeds":"1..3","shards":1,"covered":[0]} {}`,
	} {
		if _, err := ReadReport(strings.NewReader(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: multi-line error %q", name, err)
		}
	}
}

func TestShardLenIsTheNumberOfItsSeeds(t *testing.T) {
	for _, r := range []Range{{1, 1}, {1, 20}, {5, 17}, {0, 99}} {
		for n := uint64(1); n <= 4; n++ {
			for i := uint64(0); i < n; i++ {
				s := Shard{Index: i, Count: n}
				if got, want := s.Len(r), len(s.Seeds(r)); got != want {
					t.Errorf("shard %d/%d of %v: Len %d, %d seeds", i, n, r, got, want)
				}
			}
		}
	}
	if got := (Shard{}).Len(Range{0, math.MaxUint64}); got != math.MaxInt {
		t.Errorf("whole range: Len %d", got)
	}
}
