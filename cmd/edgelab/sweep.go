package main

// This file is `edgelab sweep`: one world over a range of seeds, in
// parallel, with results in seed order whatever --jobs is. Each seed runs
// the world's default plan, a --plan file, or (--soak) the soak plan drawn
// from the seed alone. Failures print with their replay commands; the last
// line counts passes and failures; the exit status is 1 if any seed
// failed.
//
// --shard i/n runs only the seeds s with s % n == i, so n machines can
// split a range (deploy/sweep-job.yaml runs it as a Kubernetes Indexed
// Job); --json prints a report that `edgelab sweep merge` joins.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/replay"
	"github.com/edgelab/edgelab/sim/sweep"
	"github.com/edgelab/edgelab/sim/world"
)

func init() {
	register(&command{
		name:    "sweep",
		summary: "run many seeds: --world NAME --seeds A..B [--jobs K] [--shard i/n] [--soak | --plan FILE] [--json] [--quiet]; sweep merge FILES...",
		run:     sweepCommand,
	})
}

func sweepCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "merge" {
		return sweepMerge(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	worldName := fs.String("world", "", "world to sweep")
	seedsFlag := fs.String("seeds", "", "seeds to run, A..B inclusive (or one seed)")
	jobs := fs.Int("jobs", 0, "seeds to run at once (default GOMAXPROCS)")
	shardFlag := fs.String("shard", "", "run only seeds s with s%n == i (i/n)")
	soak := fs.Bool("soak", false, "run each seed's soak plan (drawn from the seed)")
	planFile := fs.String("plan", "", "run every seed with this plan (JSON)")
	outDir := fs.String("out", ".", "directory for replay files of failing seeds")
	asJSON := fs.Bool("json", false, "print a mergeable JSON report instead of text")
	verbose := fs.Bool("v", false, "print every seed, not only failures")
	quiet := fs.Bool("quiet", false, "no progress report on stderr")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "sweep", err)
	}
	if len(pos) > 0 {
		return fail(stderr, "sweep", exitUsage, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	cfg, err := sweepConfig(*worldName, *seedsFlag, *shardFlag, *planFile, *soak, *jobs)
	if err != nil {
		return fail(stderr, "sweep", exitUsage, err)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fail(stderr, "sweep", exitEnv, err)
	}
	prog := newProgress(stderr, "sweep "+cfg.w.Name(), cfg.shard.Len(cfg.seeds), *quiet)
	each := func(r sweep.Result) {
		prog.add(!r.Pass || r.Error != "")
		if !*asJSON {
			printResult(stdout, cfg.w.Name(), r, *verbose)
		}
	}
	results, err := sweep.Run(context.Background(), sweep.Options{Seeds: cfg.seeds, Shard: cfg.shard, Jobs: *jobs, Each: each},
		func(seed uint64) sweep.Result { return cfg.runSeed(seed, *outDir) })
	prog.clear()
	if err != nil {
		return fail(stderr, "sweep", exitUsage, err)
	}
	rep := sweep.NewReport(cfg.w.Name(), cfg.mode, cfg.seeds, cfg.shard, results)
	if *asJSON {
		b, err := rep.Marshal()
		if err != nil {
			return fail(stderr, "sweep", exitFailed, err)
		}
		stdout.Write(b)
	} else {
		printSummary(stdout, rep)
	}
	if rep.Failed > 0 {
		return exitFailed
	}
	return exitOK
}

// sweepCfg is a sweep after its flags are checked.
type sweepCfg struct {
	w     world.World
	seeds sweep.Range
	shard sweep.Shard
	mode  string
	// plan is the plan of every seed, nil for soak (drawn per seed).
	plan *plan.Plan
}

func sweepConfig(worldName, seedsFlag, shardFlag, planFile string, soak bool, jobs int) (*sweepCfg, error) {
	if seedsFlag == "" {
		return nil, errors.New("missing --seeds (A..B)")
	}
	seeds, err := sweep.ParseRange(seedsFlag)
	if err != nil {
		return nil, err
	}
	cfg := &sweepCfg{seeds: seeds, mode: "default"}
	if shardFlag != "" {
		if cfg.shard, err = sweep.ParseShard(shardFlag); err != nil {
			return nil, err
		}
	}
	if jobs < 0 {
		return nil, fmt.Errorf("invalid --jobs %d: want 1 or more (0: GOMAXPROCS)", jobs)
	}
	if soak && planFile != "" {
		return nil, errors.New("--soak and --plan exclude each other")
	}
	var p *plan.Plan
	if planFile != "" {
		var data []byte
		if p, data, err = readPlan(planFile); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		cfg.mode = "plan:" + hex.EncodeToString(sum[:])
	}
	if cfg.w, _, err = pickWorld(worldName, p); err != nil {
		return nil, err
	}
	switch {
	case soak:
		cfg.mode = "soak"
	case p == nil:
		p = cfg.w.DefaultPlan()
	}
	cfg.plan = p
	return cfg, nil
}

// runSeed runs one seed and writes its replay file if it fails.
func (cfg *sweepCfg) runSeed(seed uint64, outDir string) sweep.Result {
	p := cfg.plan
	if cfg.mode == "soak" {
		p = plan.Soak(cfg.w.Shape(), seed)
	}
	rs := newRunSpec(cfg.w, seed, p)
	o, _, err := rs.exec()
	if err != nil {
		return sweep.Result{Error: oneLine(err.Error())}
	}
	r := sweep.Result{Pass: o.Pass(), TraceSHA256: o.Trace.HashHex(), Figures: o.Figures.Counters(), Failure: o.Why()}
	if !o.Pass() {
		path, err := rs.saveReplay(outDir, o)
		if err != nil {
			r.Error = "writing the replay file: " + err.Error()
		} else {
			r.Replay = path
		}
	}
	return r
}

func printResult(w io.Writer, world string, r sweep.Result, verbose bool) {
	switch {
	case r.Error != "":
		fmt.Fprintf(w, "seed %d: ERROR: %s\n", r.Seed, r.Error)
	case !r.Pass:
		fmt.Fprintf(w, "seed %d: FAIL: %s\n", r.Seed, r.Failure)
	case verbose:
		fmt.Fprintf(w, "seed %d: PASS  %s  sha256:%s\n", r.Seed, figuresLine(world, r.Figures), r.TraceSHA256)
	}
	if r.Replay != "" {
		fmt.Fprintf(w, "  replay: %s\n", replay.Command(r.Replay))
	}
}

func printSummary(w io.Writer, rep *sweep.Report) {
	shards := ""
	if rep.Shards > 1 {
		shards = fmt.Sprintf(" shards %s of %d", joinUints(rep.Covered), rep.Shards)
	}
	fmt.Fprintf(w, "world %s seeds %s%s (%s plans): %s, %d passed, %d failed\n",
		rep.World, rep.Seeds, shards, rep.Mode, plural(len(rep.Results), "seed"), rep.Passed, rep.Failed)
}

func joinUints(xs []uint64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatUint(x, 10)
	}
	return strings.Join(parts, ",")
}

// sweepMerge joins the JSON reports of shards: text (failures and the
// summary) or, with --json, the merged report. Exit status 1 if a seed
// failed, 3 if a shard is missing, 2 for unreadable or mismatched reports.
func sweepMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sweep merge", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the merged JSON report")
	files, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "sweep merge", err)
	}
	if len(files) == 0 {
		return fail(stderr, "sweep merge", exitUsage, errors.New("no report files"))
	}
	var reps []*sweep.Report
	for _, name := range files {
		rep, err := readReport(name)
		if err != nil {
			return fail(stderr, "sweep merge", exitUsage, err)
		}
		reps = append(reps, rep)
	}
	m, err := sweep.Merge(reps...)
	if err != nil {
		return fail(stderr, "sweep merge", exitUsage, err)
	}
	if *asJSON {
		b, err := m.Marshal()
		if err != nil {
			return fail(stderr, "sweep merge", exitFailed, err)
		}
		stdout.Write(b)
	} else {
		for _, r := range m.Results {
			printResult(stdout, m.World, r, false)
		}
		printSummary(stdout, m)
		if !m.Complete() {
			fmt.Fprintf(stdout, "incomplete: shards %s of %d missing\n", joinUints(m.Missing()), m.Shards)
		}
	}
	switch {
	case !m.Complete():
		// The sweep did not finish: what it found is printed, but no
		// verdict on the range can be given.
		return exitEnv
	case m.Failed > 0:
		return exitFailed
	}
	return exitOK
}
