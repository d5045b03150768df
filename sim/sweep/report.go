package sweep

// This file is the mergeable record of a sweep: what was swept (world,
// plan mode, seed range, shard count), which shards it covers, and every
// seed's result. Shards of one sweep merge into one report; a merge that
// would count a seed twice or mix sweeps is refused.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
)

// ReportVersion is the format version written in reports.
// Version 2 carries each seed's figures as numbers.
const ReportVersion = 2

// Report is a sweep's results, as JSON.
type Report struct {
	Version int    `json:"version"`
	World   string `json:"world"`
	// Mode says where each seed's plan came from: "default" (the world's
	// default plan), "soak" (plan.Soak) or "plan:<sha256 of the file>".
	Mode  string `json:"mode"`
	Seeds Range  `json:"seeds"`
	// Shards is n of the i/n shards; Covered lists the i's this report
	// holds, sorted. A complete report covers 0..n-1.
	Shards  uint64   `json:"shards"`
	Covered []uint64 `json:"covered"`
	Passed  int      `json:"passed"`
	Failed  int      `json:"failed"`
	// Results are in seed order.
	Results []Result `json:"results"`
}

// NewReport records the results of one shard.
func NewReport(world, mode string, seeds Range, shard Shard, results []Result) *Report {
	sh := shard.norm()
	p, f := Counts(results)
	return &Report{
		Version: ReportVersion, World: world, Mode: mode, Seeds: seeds,
		Shards: sh.Count, Covered: []uint64{sh.Index},
		Passed: p, Failed: f, Results: results,
	}
}

// Complete reports whether every shard is covered.
func (r *Report) Complete() bool { return uint64(len(r.Covered)) == r.Shards }

// Missing lists the shards not covered.
func (r *Report) Missing() []uint64 {
	var out []uint64
	for i := uint64(0); i < r.Shards && len(out) < 100; i++ {
		if !slices.Contains(r.Covered, i) {
			out = append(out, i)
		}
	}
	return out
}

// Marshal encodes r as indented JSON ending in a newline.
func (r *Report) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ReadReport decodes and checks a report: known fields only, a known
// version, shards and results consistent with the range and counts.
func ReadReport(rd io.Reader) (*Report, error) {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("sweep report: %v", oneLine(err))
	}
	if dec.More() {
		return nil, errors.New("sweep report: data after the report")
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return &r, nil
}

func oneLine(err error) string {
	return string(bytes.ReplaceAll([]byte(err.Error()), []byte("\n"), []byte(" ")))
}

func (r *Report) check() error {
	switch {
	case r.Version != ReportVersion:
		return fmt.Errorf("sweep report: version %d, want %d", r.Version, ReportVersion)
	case r.World == "":
		return errors.New("sweep report: missing world")
	case r.Shards == 0:
		return errors.New("sweep report: shards must be at least 1")
	case len(r.Covered) == 0:
		return errors.New("sweep report: covers no shard")
	}
	for i, c := range r.Covered {
		if c >= r.Shards || (i > 0 && c <= r.Covered[i-1]) {
			return fmt.Errorf("sweep report: covered shards %v: want sorted, distinct, below %d", r.Covered, r.Shards)
		}
	}
	for i, res := range r.Results {
		if res.Seed < r.Seeds.First || res.Seed > r.Seeds.Last || !slices.Contains(r.Covered, res.Seed%r.Shards) {
			return fmt.Errorf("sweep report: seed %d is outside the range %s or its shards", res.Seed, r.Seeds)
		}
		if i > 0 && res.Seed <= r.Results[i-1].Seed {
			return fmt.Errorf("sweep report: results not in seed order at seed %d", res.Seed)
		}
	}
	if p, f := Counts(r.Results); p != r.Passed || f != r.Failed {
		return fmt.Errorf("sweep report: counts say %d passed %d failed, results say %d and %d", r.Passed, r.Failed, p, f)
	}
	return nil
}

// Merge joins reports of shards of one sweep (same world, mode, range and
// shard count, disjoint shards) into one.
func Merge(reps ...*Report) (*Report, error) {
	if len(reps) == 0 {
		return nil, errNoReports
	}
	out := &Report{Version: ReportVersion, World: reps[0].World, Mode: reps[0].Mode, Seeds: reps[0].Seeds, Shards: reps[0].Shards}
	for i, r := range reps {
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("report %d: %w", i+1, err)
		}
		if r.World != out.World || r.Mode != out.Mode || r.Seeds != out.Seeds || r.Shards != out.Shards {
			return nil, fmt.Errorf("report %d is of another sweep: world %s mode %s seeds %s shards %d, not world %s mode %s seeds %s shards %d",
				i+1, r.World, r.Mode, r.Seeds, r.Shards, out.World, out.Mode, out.Seeds, out.Shards)
		}
		for _, c := range r.Covered {
			if slices.Contains(out.Covered, c) {
				return nil, fmt.Errorf("report %d: shard %d/%d is in two reports", i+1, c, r.Shards)
			}
			out.Covered = append(out.Covered, c)
		}
		out.Results = append(out.Results, r.Results...)
	}
	slices.Sort(out.Covered)
	sort.SliceStable(out.Results, func(i, j int) bool { return out.Results[i].Seed < out.Results[j].Seed })
	out.Passed, out.Failed = Counts(out.Results)
	return out, nil
}
