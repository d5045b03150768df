package main

// This file is `edgelab lab`, what a bare `edgelab` runs: the lab's main
// job on embedded defaults. Every world of the list is swept over seeds
// with drawn faults and judged by every property; its default run's trace
// is written (NDJSON and a Perfetto timeline) and, for a world with a
// theory, checked against it; its seeded bugs are hunted (bounded) and
// the shrunk failing runs saved as replay files; the theories are proved
// when tamarin-prover is installed. It prints a summary table and writes
// edgelab-out/report.html. Worlds join by being in worlds.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/replay"
	"github.com/edgelab/edgelab/sim/sweep"
	"github.com/edgelab/edgelab/sim/world"
	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/prove"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

func init() {
	register(&command{
		name:    "lab",
		summary: "the lab's main job (a bare edgelab): every world, property, theory and seeded bug; writes edgelab-out/report.html",
		run:     labCommand,
	})
}

// The default job. Measured to fit two minutes on two cores with room to
// spare (DESIGN.md, "The lab's main job").
const (
	labSeeds       = 20
	labPlans       = 30
	labProveBudget = 45 * time.Second
)

// timelineEvents bounds the failing plan's timeline excerpt.
const timelineEvents = 160

// labWorld is what the job found for one world.
type labWorld struct {
	w        world.World
	seeds    int
	passed   int
	errored  int
	props    []propCount
	failures []labFailure
	// checked is the trace checker's verdict on the default run ("" when
	// the world has no theory).
	checked    string
	defaultRun *world.Outcome
	bugs       []labBug
	charts     []world.Chart
	chartErr   error
	timeline   string // the first caught bug's shrunk run, as SVG
	timelineOf string
	// timelineWhat says which of the run's events the timeline shows.
	timelineWhat string
	files        []string
}

type propCount struct {
	name           string
	passed, failed int
}

type labFailure struct {
	seed   uint64
	why    string
	replay string
}

type labBug struct {
	world.Bug
	caught       bool
	properties   []string
	plans        int
	wall         time.Duration
	faults, ops  int
	lemmas       string
	replay       string
	shrinkRuns   int
	shrunkEvents int
}

func labCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	seeds := fs.Int("seeds", labSeeds, "seeds per world, each with a plan of faults drawn from it")
	plans := fs.Int("plans", labPlans, "plans to try per seeded bug before calling it missed")
	outDir := fs.String("out", "edgelab-out", "directory for the report, traces, timelines and replay files")
	quiet := fs.Bool("quiet", false, "no progress line")
	proveBudget := fs.Duration("prove-budget", labProveBudget, "wall time for proving the theories when tamarin-prover is installed (0: do not prove)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "lab", err)
	}
	switch {
	case len(pos) > 0:
		return fail(stderr, "lab", exitUsage, fmt.Errorf("unexpected argument %q", pos[0]))
	case *seeds < 1:
		return fail(stderr, "lab", exitUsage, errors.New("--seeds must be at least 1"))
	case *proveBudget < 0:
		return fail(stderr, "lab", exitUsage, errors.New("--prove-budget must not be negative"))
	case *plans < 1:
		return fail(stderr, "lab", exitUsage, errors.New("--plans must be at least 1"))
	case len(worlds) == 0:
		return fail(stderr, "lab", exitFailed, errors.New("no worlds"))
	}
	for _, sub := range []string{"traces", "replays"} {
		if err := os.MkdirAll(filepath.Join(*outDir, sub), 0o755); err != nil {
			return fail(stderr, "lab", exitEnv, err)
		}
	}
	total := 0
	for _, w := range worlds {
		total += *seeds + 1
		if bc, ok := w.(world.BugCatalog); ok {
			total += len(bc.Bugs())
		}
	}
	start := time.Now()
	prog := newProgress(stderr, "lab", total, *quiet)
	var results []*labWorld
	for _, w := range worlds {
		lw, err := labRun(w, *seeds, *plans, *outDir, prog)
		if err != nil {
			prog.clear()
			return fail(stderr, "lab", exitFailed, fmt.Errorf("%s: %w", w.Name(), err))
		}
		results = append(results, lw)
	}
	prove := labProve(*outDir, *proveBudget)
	status := exitOK
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORLD\tSEEDS\tPASSED\tFAILED\tPROPERTIES HELD\tTHEORY CHECK\tBUGS CAUGHT")
	for _, lw := range results {
		// How many properties held on every seed, and the others by name
		// (the report lists them all).
		held, broken := 0, []string(nil)
		for _, p := range lw.props {
			if p.failed == 0 {
				held++
			} else {
				broken = append(broken, fmt.Sprintf("%s failed %d", p.name, p.failed))
			}
		}
		props := fmt.Sprintf("%d/%d", held, len(lw.props))
		if len(broken) > 0 {
			props += " (" + strings.Join(broken, ", ") + ")"
		}
		checked, bugs := lw.checked, "-"
		if checked == "" {
			checked = "-"
		}
		if len(lw.bugs) > 0 {
			caught := 0
			for _, b := range lw.bugs {
				if b.caught {
					caught++
				}
			}
			bugs = fmt.Sprintf("%d/%d", caught, len(lw.bugs))
			if caught < len(lw.bugs) {
				status = exitFailed
			}
		}
		failed := lw.seeds - lw.passed
		if failed > 0 || (lw.checked != "" && lw.checked != "holds") {
			status = exitFailed
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\n", lw.w.Name(), lw.seeds, lw.passed, failed, props, checked, bugs)
	}
	tw.Flush()
	for _, lw := range results {
		for _, f := range lw.failures {
			fmt.Fprintf(stdout, "%s seed %d failed: %s\n  %s\n", lw.w.Name(), f.seed, f.why, replay.Command(f.replay))
		}
	}
	fmt.Fprintln(stdout, prove.Line)
	if prove.failed {
		status = exitFailed
	}
	report := filepath.Join(*outDir, "report.html")
	if err := writeFile(report, func(w io.Writer) error {
		return writeLabReport(w, results, prove, time.Since(start))
	}); err != nil {
		return fail(stderr, "lab", outputCode(err, exitEnv), err)
	}
	fmt.Fprintf(stdout, "report: %s\n", report)
	return status
}

// labRun is the job for one world.
func labRun(w world.World, seeds, plans int, outDir string, prog *progress) (*labWorld, error) {
	lw := &labWorld{w: w, seeds: seeds}
	name := w.Name()
	var names []string
	if pw, ok := w.(world.Propertied); ok {
		names = pw.Properties()
	}
	failedBy := map[string]int{}
	swept := make([]world.SweptRun, seeds)
	var mu sync.Mutex
	results, err := sweep.Run(context.Background(), sweep.Options{Seeds: sweep.Range{First: 1, Last: uint64(seeds)}, Each: func(r sweep.Result) { prog.add(!r.Pass) }},
		func(seed uint64) sweep.Result {
			pl := plan.Soak(w.Shape(), seed)
			o, err := world.Run(w, seed, pl, world.Options{})
			if err != nil {
				return sweep.Result{Error: oneLine(err.Error())}
			}
			r := sweep.Result{Pass: o.Pass(), TraceSHA256: o.Trace.HashHex(), Failure: o.Why()}
			if !o.Pass() {
				rs := newRunSpec(w, seed, pl)
				if path, err := rs.saveReplay(filepath.Join(outDir, "replays"), o); err != nil {
					r.Error = "writing the replay file: " + err.Error()
				} else {
					r.Replay = path
				}
			}
			o.Trace = nil // the sweep keeps figures and verdicts only
			mu.Lock()
			swept[seed-1] = world.SweptRun{Seed: seed, Plan: pl, Outcome: o}
			mu.Unlock()
			return r
		})
	if err != nil {
		return nil, err
	}
	for _, r := range results {
		switch {
		case r.Error != "":
			lw.errored++
			lw.failures = append(lw.failures, labFailure{seed: r.Seed, why: "broken run: " + r.Error})
			continue
		case r.Pass:
			lw.passed++
		default:
			lw.failures = append(lw.failures, labFailure{seed: r.Seed, why: r.Failure, replay: r.Replay})
		}
		for _, p := range swept[r.Seed-1].Outcome.Properties() {
			if failedBy[p] == 0 && !contains(names, p) {
				names = append(names, p)
			}
			failedBy[p]++
		}
	}
	judged := seeds - lw.errored
	for _, n := range names {
		lw.props = append(lw.props, propCount{name: n, passed: judged - failedBy[n], failed: failedBy[n]})
	}
	if len(lw.props) == 0 {
		// The world names no properties and none failed by name: count
		// the verdict.
		lw.props = []propCount{{name: "every property", passed: lw.passed, failed: judged - lw.passed}}
	}
	var ok []world.SweptRun
	for _, s := range swept {
		if s.Outcome != nil {
			ok = append(ok, s)
		}
	}
	if rp, isReporter := w.(world.Reporter); isReporter {
		lw.charts, lw.chartErr = rp.Charts(ok)
	}

	// The default run: its trace and timeline, checked against the theory.
	o, err := world.Run(w, w.DefaultSeed(), w.DefaultPlan(), world.Options{})
	if err != nil {
		return nil, err
	}
	lw.defaultRun = o
	rs := newRunSpec(w, w.DefaultSeed(), w.DefaultPlan())
	tracePath := filepath.Join(outDir, "traces", name+".ndjson")
	timelinePath := filepath.Join(outDir, "traces", name+".perfetto.json")
	if err := rs.writeOutputs(o, tracePath, timelinePath); err != nil {
		return nil, err
	}
	lw.files = append(lw.files, tracePath, timelinePath)
	var th *spthy.Theory
	if m, isModeled := w.(world.Modeled); isModeled {
		if th, err = tamarin.Parse(m.Theory()); err != nil {
			return nil, err
		}
		violated, err := violatedLemmas(th, o.Trace)
		if err != nil {
			return nil, err
		}
		lw.checked = "holds"
		if violated != "-" {
			lw.checked = "violated: " + violated
		}
	}
	prog.add(!o.Pass())

	// The seeded bugs.
	bc, hasBugs := w.(world.BugCatalog)
	if !hasBugs {
		return lw, nil
	}
	// The hunts run side by side (each is one run at a time); what they
	// found is taken in the catalog's order, so the output is the same.
	catalog := bc.Bugs()
	found := make([]*world.Detection, len(catalog))
	errs := make([]error, len(catalog))
	next := make(chan int)
	var wg sync.WaitGroup
	var progMu sync.Mutex
	for range min(len(catalog), runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				found[i], errs[i] = world.Hunt(w, catalog[i].Name, plans)
				progMu.Lock()
				prog.add(errs[i] != nil || !found[i].Caught)
				progMu.Unlock()
			}
		}()
	}
	for i := range catalog {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", catalog[i].Name, err)
		}
	}
	for i, bug := range catalog {
		d := found[i]
		lb := labBug{Bug: bug, caught: d.Caught, plans: d.Plans, wall: d.Wall}
		if d.Caught {
			lb.properties = d.First.Properties()
			lb.faults, lb.ops = world.Size(w, d.Shrunk.Plan)
			lb.shrinkRuns = d.Shrunk.Runs
			lb.shrunkEvents = len(d.Shrunk.Outcome.Trace.Events)
			if th != nil {
				if lb.lemmas, err = violatedLemmas(th, d.Shrunk.Outcome.Trace); err != nil {
					return nil, fmt.Errorf("%s: %w", bug.Name, err)
				}
			}
			brs := newRunSpec(w, *d.Shrunk.Plan.Seed, d.Shrunk.Plan)
			brs.opts = world.Options{Bugs: []string{bug.Name}}
			lb.replay = filepath.Join(outDir, "replays", bugFileName(name, bug.Name))
			if err := replay.Write(lb.replay, brs.replayFile(d.Shrunk.Outcome)); err != nil {
				return nil, err
			}
			if lw.timeline == "" {
				p := filepath.Join(outDir, "traces", name+"-bug-"+bug.Name+".perfetto.json")
				if err := brs.writeOutputs(d.Shrunk.Outcome, "", p); err != nil {
					return nil, err
				}
				lw.files = append(lw.files, p)
				lw.timelineOf = bug.Name
				if lw.timeline, lw.timelineWhat, err = timelineSVG(fmt.Sprintf("%s with bug %s: the shrunk failing run", name, bug.Name),
					d.Shrunk.Outcome.Trace, timelineEvents); err != nil {
					return nil, err
				}
			}
		}
		lw.bugs = append(lw.bugs, lb)
	}
	return lw, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// labProof is what `prove` said, or that it could not run.
type labProof struct {
	Line   string
	Output string
	failed bool
}

// labProve runs `edgelab prove` when a prover is installed, within budget
// (wall time, split evenly over the theories, which prove in turn; each
// theory's share bounds each of its lemmas and all of them together), and
// keeps what it said in the report and in prove.txt. A lemma the budget
// cut short is not a finding: the line says how many, and `edgelab
// prove` proves them without the lab's budget. A lemma disproved, or a
// problem the Go checks found, is. A budget of 0 skips the proofs.
func labProve(outDir string, budget time.Duration) labProof {
	if budget <= 0 {
		return labProof{Line: "prove: skipped (--prove-budget 0)"}
	}
	share := max(time.Second, budget/time.Duration(max(1, len(tamarin.Theories()))))
	var out, errs bytes.Buffer
	code := proveCommand([]string{"--json", "--timeout", share.String(), "--theory-timeout", share.String()}, &out, &errs)
	var doc proveJSON
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		return labProof{Line: fmt.Sprintf("prove: failed (exit %d): %s", code, oneLine(errs.String())), failed: true}
	}
	if doc.NoProver != "" {
		return labProof{Line: "prove: tamarin-prover is not installed; the theories were not proved (the Go trace checks ran)"}
	}
	var text strings.Builder
	proved, cut, wrong := 0, 0, 0
	for _, p := range doc.GoCheckProblems {
		fmt.Fprintf(&text, "Go check: %s\n", p)
		wrong++
	}
	for _, r := range doc.Results {
		lemma := r.Theory + " " + r.Lemma
		if r.Side != "" {
			lemma += " (" + r.Side + ")"
		}
		switch {
		case r.OK:
			proved++
		case r.Got == string(prove.Timeout) || r.Got == string(prove.Incomplete) || restsOnlyOnCutHelpers(r):
			cut++
		default:
			wrong++
		}
		fmt.Fprintf(&text, "%s: %s (expected %s) in %.1fs", lemma, r.Got, r.Expected, r.Seconds)
		if r.Detail != "" {
			fmt.Fprintf(&text, ": %s", oneLine(r.Detail))
		}
		text.WriteByte('\n')
	}
	txt := filepath.Join(outDir, "prove.txt")
	_ = writeFile(txt, func(w io.Writer) error { _, err := io.WriteString(w, text.String()); return err })
	line := fmt.Sprintf("prove: %d of %d lemmas proved within %v", proved, len(doc.Results), budget)
	if cut > 0 {
		line += fmt.Sprintf(", %d cut short by that budget (edgelab prove has none)", cut)
	}
	if wrong > 0 {
		line += fmt.Sprintf(", %d wrong; see %s", wrong, txt)
	}
	return labProof{Line: line, Output: text.String(), failed: wrong > 0}
}

// restsOnlyOnCutHelpers reports whether r came out as annotated but
// assumed helper lemmas whose own proofs the budget cut short: the proof
// is unfinished, not wrong. A helper that came out falsified (or failed)
// makes it wrong.
func restsOnlyOnCutHelpers(r proveResultJSON) bool {
	if r.Got != r.Expected || len(r.RestsOn) == 0 {
		return false
	}
	for _, h := range r.RestsOn {
		if !strings.HasSuffix(h, "("+string(prove.Timeout)+")") && !strings.HasSuffix(h, "("+string(prove.Incomplete)+")") {
			return false
		}
	}
	return true
}
