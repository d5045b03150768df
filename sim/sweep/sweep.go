// Package sweep runs a world over many seeds in parallel and merges the
// results of sweeps run apart (shards on other machines).
//
// Seeds are independent simulations, each with its own Sim, so a sweep is
// embarrassingly parallel: Run hands seeds to a bounded pool of
// goroutines and delivers results in seed order whatever order they finish
// in, so the output of a sweep does not depend on how many jobs ran it.
//
// A shard i/n is the seeds s of the range with s % n == i. Shards of one
// range are disjoint and together cover it, so n machines can each run one
// (a Kubernetes Indexed Job gives each pod its index) and Merge joins
// their reports.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Range is an inclusive range of seeds.
type Range struct{ First, Last uint64 }

// ParseRange reads "A..B" (inclusive) or a single seed "N".
func ParseRange(s string) (Range, error) {
	a, b, isRange := strings.Cut(s, "..")
	if !isRange {
		b = a
	}
	first, err1 := strconv.ParseUint(a, 10, 64)
	last, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil {
		return Range{}, fmt.Errorf("invalid seed range %q: want A..B or N, unsigned integers", s)
	}
	if last < first {
		return Range{}, fmt.Errorf("invalid seed range %q: %d is before %d", s, last, first)
	}
	return Range{first, last}, nil
}

func (r Range) String() string {
	return strconv.FormatUint(r.First, 10) + ".." + strconv.FormatUint(r.Last, 10)
}

// MarshalText writes the range as "A..B".
func (r Range) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (r *Range) UnmarshalText(b []byte) error {
	v, err := ParseRange(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Shard is the seeds s with s % Count == Index. The zero value (and any
// Count of 0 or 1) is every seed.
type Shard struct{ Index, Count uint64 }

// ParseShard reads "i/n" with 0 <= i < n.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.ParseUint(a, 10, 64)
	n, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || n == 0 || i >= n {
		return Shard{}, fmt.Errorf("invalid shard %q: want i/n with 0 <= i < n", s)
	}
	return Shard{i, n}, nil
}

func (s Shard) norm() Shard {
	if s.Count <= 1 {
		return Shard{0, 1}
	}
	return s
}

func (s Shard) String() string {
	s = s.norm()
	return strconv.FormatUint(s.Index, 10) + "/" + strconv.FormatUint(s.Count, 10)
}

// seeds returns the first seed of r in s and how many there are, less
// one (so that the whole uint64 range does not overflow); ok is false if
// the shard has no seed in r.
func (s Shard) seeds(r Range) (first, span uint64, ok bool) {
	s = s.norm()
	f := r.First % s.Count
	off := s.Index - f
	if s.Index < f {
		off = s.Index + (s.Count - f)
	}
	if off > r.Last-r.First {
		return 0, 0, false
	}
	first = r.First + off
	return first, (r.Last - first) / s.Count, true
}

// Len is how many seeds of r shard s holds (len(s.Seeds(r)) without the
// list), saturating at the largest int.
func (s Shard) Len(r Range) int {
	_, span, ok := s.seeds(r)
	if !ok {
		return 0
	}
	return int(min(span, uint64(math.MaxInt)-1) + 1)
}

// Seeds lists the seeds of r in shard s, in order.
func (s Shard) Seeds(r Range) []uint64 {
	first, span, ok := s.seeds(r)
	if !ok {
		return nil
	}
	out := make([]uint64, 0, min(span+1, MaxSeeds))
	for k := uint64(0); k <= span; k++ {
		out = append(out, first+k*s.norm().Count)
	}
	return out
}

// Result is the outcome of one seed.
type Result struct {
	Seed uint64 `json:"seed"`
	Pass bool   `json:"pass"`
	// TraceSHA256 identifies the run: same seed and plan, same hash.
	TraceSHA256 string `json:"trace_sha256,omitempty"`
	// Figures are the world's counters for the run, by name
	// ("sent": 150), numbers so a report can be summed and plotted.
	Figures map[string]int64 `json:"figures,omitempty"`
	// Failure is why the world's property failed.
	Failure string `json:"failure,omitempty"`
	// Error says the run itself broke (a bad plan, a panic).
	Error string `json:"error,omitempty"`
	// Replay is the replay file written for a failure.
	Replay string `json:"replay,omitempty"`
}

// Func runs one seed. It is called from several goroutines at once.
type Func func(seed uint64) Result

// Options configure Run.
type Options struct {
	Seeds Range
	Shard Shard
	// Jobs bounds how many seeds run at once; zero means GOMAXPROCS.
	Jobs int
	// Each, if set, receives every result in seed order as soon as it and
	// all before it are done (to print progress as a sweep goes).
	Each func(Result)
}

// MaxSeeds bounds the seeds one Run may take, since every result is kept;
// shard a bigger sweep.
const MaxSeeds = 1 << 24

// Run runs fn for every seed of the options' range and shard and returns
// the results in seed order. A panicking fn is a failed seed with the
// panic in Error. If ctx ends, Run stops handing out seeds, waits for the
// ones running, and returns what finished (in order, without gaps) with
// ctx's error.
func Run(ctx context.Context, opts Options, fn Func) ([]Result, error) {
	first, span, ok := opts.Shard.seeds(opts.Seeds)
	if ok && span >= MaxSeeds {
		return nil, fmt.Errorf("sweep: more than %d seeds in one run; use --shard", MaxSeeds)
	}
	n := uint64(0)
	if ok {
		n = span + 1
	}
	step := opts.Shard.norm().Count
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	jobs = int(min(uint64(jobs), max(n, 1)))

	type done struct {
		k uint64
		r Result
	}
	var next atomic.Uint64 // the next seed index to hand out
	ch := make(chan done, jobs)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				k := next.Add(1) - 1
				if k >= n {
					return
				}
				seed := first + k*step
				ch <- done{k, runOne(fn, seed)}
			}
		}()
	}
	go func() { wg.Wait(); close(ch) }()

	results := make([]Result, 0, n)
	pending := map[uint64]Result{}
	for d := range ch {
		pending[d.k] = d.r
		for {
			r, ok := pending[uint64(len(results))]
			if !ok {
				break
			}
			delete(pending, uint64(len(results)))
			results = append(results, r)
			if opts.Each != nil {
				opts.Each(r)
			}
		}
	}
	if err := ctx.Err(); err != nil && uint64(len(results)) < n {
		return results, err
	}
	return results, nil
}

func runOne(fn Func, seed uint64) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			r = Result{Seed: seed, Error: fmt.Sprintf("panic: %v", p)}
		}
	}()
	r = fn(seed)
	r.Seed = seed
	if r.Error != "" {
		r.Pass = false
	}
	return r
}

// Counts returns how many results passed and failed.
func Counts(rs []Result) (passed, failed int) {
	for _, r := range rs {
		if r.Pass {
			passed++
		} else {
			failed++
		}
	}
	return passed, failed
}

var errNoReports = errors.New("sweep: nothing to merge")
