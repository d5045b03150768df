package main

// This file is `edgelab run`: one world, one seed, optionally a plan, with
// a short summary that ends in the trace's SHA-256 and, on request, the
// trace itself as NDJSON or as a Perfetto timeline. A failing run leaves a
// replay file behind and prints the command that replays it. It also
// holds what run, replay, export and sweep share: choosing the world, seed
// and plan, running them, and writing the files a run produces.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/perfetto"
	"github.com/edgelab/edgelab/sim/replay"
	"github.com/edgelab/edgelab/sim/world"
)

func init() {
	register(&command{
		name:    "run",
		summary: "run one world: --world NAME [--seed N] [--plan FILE] [--bug NAME]... [--trace FILE] [--perfetto FILE] [--out DIR] [--json] [--explain]",
		run:     runCommand,
	})
}

func runCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	worldName := fs.String("world", "", "world to run (default: the plan's world)")
	seedFlag := fs.String("seed", "", "seed (default: the plan's, else the world's)")
	planFile := fs.String("plan", "", "plan file (JSON)")
	var bugs listFlag
	fs.Var(&bugs, "bug", "switch on the world's seeded bug NAME (repeatable; see edgelab bugs --list)")
	traceFile := fs.String("trace", "", "write the NDJSON trace to this file")
	perfettoFile := fs.String("perfetto", "", "write the trace as a Perfetto/Chrome timeline (JSON) to this file")
	outDir := fs.String("out", ".", "directory for the replay file of a failing run")
	explainFlag := fs.Bool("explain", false, "say what each counter of the world's figures means, and run nothing")
	asJSON := fs.Bool("json", false, "print the outcome as one JSON document (figures as numbers)")
	fs.BoolFunc("linkability", "(moved: edgelab experiment ohttp linkability)", func(string) error {
		return errors.New("the linkability experiment is 'edgelab experiment ohttp linkability' now")
	})
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "run", err)
	}
	if len(pos) > 0 {
		return fail(stderr, "run", exitUsage, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	if *explainFlag {
		if *worldName == "" {
			return fail(stderr, "run", exitUsage, errors.New("--explain needs --world"))
		}
		w, err := lookupWorld(*worldName)
		if err != nil {
			return fail(stderr, "run", exitUsage, err)
		}
		if err := explain(stdout, w); err != nil {
			return fail(stderr, "run", exitUsage, err)
		}
		return exitOK
	}
	rs, code, err := resolveRun(*worldName, *seedFlag, *planFile)
	if err != nil {
		return fail(stderr, "run", code, err)
	}
	rs.opts.Bugs = bugs
	o, code, err := rs.exec()
	if err != nil {
		return fail(stderr, "run", code, err)
	}
	if err := rs.writeOutputs(o, *traceFile, *perfettoFile); err != nil {
		return fail(stderr, "run", outputCode(err, exitFailed), err)
	}
	path := ""
	if !o.Pass() {
		if path, err = rs.saveReplay(*outDir, o); err != nil {
			return fail(stderr, "run", exitEnv, fmt.Errorf("writing the replay file: %w", err))
		}
	}
	if *asJSON {
		doc := runJSON{World: rs.w.Name(), Seed: rs.seed, Bugs: rs.opts.Bugs, Pass: o.Pass(), Failure: o.Why(), Figures: o.Figures.Counters(),
			Details: o.Details, TraceEvents: len(o.Trace.Events), TraceSHA256: o.Trace.HashHex(), Replay: path}
		if err := writeJSON(stdout, doc); err != nil {
			return fail(stderr, "run", exitEnv, err)
		}
	} else {
		rs.printOutcome(stdout, o)
		if path != "" {
			fmt.Fprintf(stdout, "replay: %s\n", replay.Command(path))
		}
	}
	if !o.Pass() {
		return exitFailed
	}
	return exitOK
}

// runSpec is one run: what a replay file records. The plan always names
// the world and the seed, so it can be saved as it is.
type runSpec struct {
	w    world.World
	seed uint64
	plan *sim.Plan
	opts world.Options
}

func newRunSpec(w world.World, seed uint64, plan *sim.Plan) *runSpec {
	return &runSpec{w: w, seed: seed, plan: world.WithIdentity(w, seed, plan)}
}

// specOf is the run a replay file records.
func specOf(w world.World, rf *replay.File) *runSpec {
	rs := newRunSpec(w, *rf.Plan.Seed, rf.Plan)
	rs.opts = rf.Options
	return rs
}

// resolveRun picks the world, seed and plan from run-like flags: the
// plan file's world and seed unless the flags say otherwise, else the
// world's defaults. The code is the exit status for the error.
func resolveRun(worldName, seedFlag, planFile string) (*runSpec, int, error) {
	var plan *sim.Plan
	if planFile != "" {
		var err error
		if plan, _, err = readPlan(planFile); err != nil {
			return nil, exitUsage, err
		}
	}
	w, code, err := pickWorld(worldName, plan)
	if err != nil {
		return nil, code, err
	}
	seed := w.DefaultSeed()
	if plan != nil && plan.Seed != nil {
		seed = *plan.Seed
	}
	if seedFlag != "" {
		if seed, err = strconv.ParseUint(seedFlag, 0, 64); err != nil {
			return nil, 2, fmt.Errorf("invalid --seed %q: want an unsigned integer", seedFlag)
		}
	}
	if plan == nil {
		plan = w.DefaultPlan()
	}
	return newRunSpec(w, seed, plan), 0, nil
}

// pickWorld reconciles --world with the plan's world.
func pickWorld(name string, plan *sim.Plan) (world.World, int, error) {
	if plan != nil && plan.World != "" {
		if name == "" {
			name = plan.World
		} else if name != plan.World {
			return nil, 2, fmt.Errorf("--world %s but the plan is for world %s", name, plan.World)
		}
	}
	if name == "" {
		return nil, 2, errors.New("missing --world")
	}
	w, err := lookupWorld(name)
	if err != nil {
		return nil, 2, err
	}
	return w, 0, nil
}

// exec runs the spec. A plan or option that does not fit the world is a
// usage error (2); a run that breaks is 1.
func (rs *runSpec) exec() (*world.Outcome, int, error) {
	o, err := world.Run(rs.w, rs.seed, rs.plan, rs.opts)
	if err != nil {
		if _, ok := errors.AsType[*sim.PlanError](err); ok {
			return nil, 2, err
		}
		return nil, 1, fmt.Errorf("world %s seed %d: %w", rs.w.Name(), rs.seed, err)
	}
	return o, 0, nil
}

// printOutcome writes the summary that ends in the trace hash.
func (rs *runSpec) printOutcome(w io.Writer, o *world.Outcome) {
	verdict := "PASS"
	if !o.Pass() {
		verdict = "FAIL: " + o.Why()
	}
	bugs := ""
	if len(rs.opts.Bugs) > 0 {
		bugs = " with bugs " + strings.Join(rs.opts.Bugs, ",")
	}
	fmt.Fprintf(w, "world %s seed %d%s: %s\n", rs.w.Name(), rs.seed, bugs, verdict)
	fmt.Fprintln(w, o.Figures)
	for _, d := range o.Details {
		fmt.Fprintln(w, d)
	}
	fmt.Fprintf(w, "trace sha256: %s\n", o.Trace.HashHex())
}

// writeOutputs writes the NDJSON trace and the Perfetto timeline where
// asked ("" for neither).
func (rs *runSpec) writeOutputs(o *world.Outcome, traceFile, perfettoFile string) error {
	if traceFile != "" {
		if err := writeFile(traceFile, func(w io.Writer) error { return o.Trace.WriteNDJSON(w) }); err != nil {
			return err
		}
	}
	if perfettoFile != "" {
		return writeFile(perfettoFile, func(w io.Writer) error {
			return perfetto.Write(w, o.Trace, perfetto.Options{Meta: rs.meta(o)})
		})
	}
	return nil
}

// meta describes the run in exported files.
func (rs *runSpec) meta(o *world.Outcome) map[string]string {
	m := map[string]string{
		"world":        rs.w.Name(),
		"seed":         strconv.FormatUint(rs.seed, 10),
		"trace_sha256": o.Trace.HashHex(),
	}
	if len(rs.opts.Bugs) > 0 {
		m["bugs"] = strings.Join(rs.opts.Bugs, ",")
	}
	return m
}

// replayFile is the run as a replay file.
func (rs *runSpec) replayFile(o *world.Outcome) *replay.File {
	return &replay.File{Plan: rs.plan, Options: rs.opts, TraceSHA256: o.Trace.HashHex(), Failure: o.Why()}
}

// saveReplay writes the replay file of a failed run under dir and returns
// its path.
func (rs *runSpec) saveReplay(dir string, o *world.Outcome) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, replay.FileName(rs.w.Name(), rs.seed))
	return path, replay.Write(path, rs.replayFile(o))
}
