package main

// This file is the OHTTP world's place on the command line: it registers
// the world (as worlds.go asks service worlds to, from their own file),
// `edgelab bugs` — for a world with a catalog of seeded bugs, switch each
// on in turn, search drawn plans until a property fails, shrink the
// failing plan and print a table of detection power — and `edgelab
// linkability`, the world's timing-adversary curve (CSV and SVG), the
// same kind of measurement: how much a property's adversary wins. The
// bugs table also names the lemmas of tamarin/theories/ohttp.spthy the
// shrunk failing run violates, and for which parties: the formal side of
// each catch.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/ohttp/ohttpsim"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/check"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

func init() {
	registerWorld(&world{
		name:        ohttpsim.Name,
		summary:     "Oblivious HTTP: clients, relay, gateway, target; unlinkability checked three ways",
		seed:        ohttpsim.DefaultSeed,
		defaultPlan: ohttpsim.DefaultPlan,
		run:         runOHTTPWorld,
	})
	register(&command{
		name:    "bugs",
		summary: "seeded bugs and the properties that catch them: --world ohttp [--plans N]",
		run:     bugsCommand,
	})
	register(&command{
		name:    "linkability",
		summary: "timing adversary vs relay batching (OHTTP): [--out DIR] [--seeds N] [--requests N]",
		run:     linkabilityCommand,
	})
}

// runOHTTPWorld runs the correct code and checks properties 1 and 2.
func runOHTTPWorld(seed uint64, plan *sim.Plan) (*outcome, error) {
	r, err := ohttpsim.Evaluate(seed, plan, ohttpsim.Options{})
	if err != nil {
		return nil, err
	}
	o := &outcome{pass: true, figures: r.Figures(), trace: r.Trace}
	for _, v := range r.Verdicts {
		o.details = append(o.details, v.String())
	}
	o.details = append(o.details, fmt.Sprintf("virtual time %v, %d kernel events, %d trace events",
		r.Report.End, r.Report.Events, len(r.Trace.Events)))
	if err := r.Err(); err != nil {
		o.pass, o.why = false, err.Error()
	}
	return o, nil
}

func bugsCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bugs", flag.ContinueOnError)
	worldName := fs.String("world", "", "world whose seeded bugs to measure (ohttp)")
	plans := fs.Int("plans", 50, "plans to try per bug before calling it missed")
	asJSON := fs.Bool("json", false, "print the table as one JSON document")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "bugs", err)
	}
	switch {
	case len(pos) > 0:
		return fail(stderr, "bugs", 2, fmt.Errorf("unexpected argument %q", pos[0]))
	case *worldName == "":
		return fail(stderr, "bugs", 2, errors.New("missing --world"))
	case *worldName != ohttpsim.Name:
		return fail(stderr, "bugs", 2, fmt.Errorf("world %q has no seeded-bug catalog here (known: %s)", *worldName, ohttpsim.Name))
	case *plans < 1:
		return fail(stderr, "bugs", 2, errors.New("--plans must be at least 1"))
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	th, err := tamarin.Parse("ohttp")
	if err != nil {
		return fail(stderr, "bugs", 1, err)
	}
	fmt.Fprintln(tw, "BUG\tCAUGHT\tPROPERTY\tPLANS\tWALL\tSHRUNK FAULTS\tSHRUNK OPS\tSHRINK RUNS\tLEMMAS VIOLATED")
	missed := 0
	doc := bugsJSON{World: *worldName, Bugs: []bugJSON{}}
	for _, bug := range ohttp.AllBugs() {
		d, err := ohttpsim.Detect(bug, *plans)
		if err != nil {
			return fail(stderr, "bugs", exitFailed, fmt.Errorf("%s: %w", bug, err))
		}
		bj := bugJSON{Bug: string(bug), Caught: d.Caught, Plans: d.Plans, WallSeconds: d.Wall.Seconds()}
		if !d.Caught {
			missed++
			fmt.Fprintf(tw, "%s\tno\t-\t%d\t%v\t-\t-\t-\t-\n", bug, d.Plans, d.Wall.Round(time.Millisecond))
			doc.Bugs = append(doc.Bugs, bj)
			continue
		}
		lemmas, err := violatedLemmas(th, bug, d.Plan)
		if err != nil {
			return fail(stderr, "bugs", exitFailed, fmt.Errorf("%s: %w", bug, err))
		}
		bj.Properties, bj.ShrunkFaults, bj.ShrunkOps, bj.ShrinkRuns, bj.LemmasViolated = d.Properties, d.Faults, d.Ops, d.ShrinkRuns, lemmas
		doc.Bugs = append(doc.Bugs, bj)
		fmt.Fprintf(tw, "%s\tyes\t%s\t%d\t%v\t%d\t%d\t%d\t%s\n", bug, strings.Join(d.Properties, "+"), d.Plans,
			d.Wall.Round(time.Millisecond), d.Faults, d.Ops, d.ShrinkRuns, lemmas)
	}
	doc.Total, doc.Caught = len(ohttp.AllBugs()), len(ohttp.AllBugs())-missed
	switch {
	case *asJSON:
		if err := writeJSON(stdout, doc); err != nil {
			return fail(stderr, "bugs", exitEnv, err)
		}
	case missed > 0:
		tw.Flush()
		fmt.Fprintf(stdout, "%d of %d bugs missed\n", missed, len(ohttp.AllBugs()))
	default:
		tw.Flush()
		fmt.Fprintf(stdout, "all %d bugs caught\n", len(ohttp.AllBugs()))
	}
	if missed > 0 {
		return exitFailed
	}
	return exitOK
}

// bugsJSON is `edgelab bugs --json`.
type bugsJSON struct {
	World  string    `json:"world"`
	Total  int       `json:"total"`
	Caught int       `json:"caught"`
	Bugs   []bugJSON `json:"bugs"`
}

type bugJSON struct {
	Bug         string   `json:"bug"`
	Caught      bool     `json:"caught"`
	Properties  []string `json:"properties,omitempty"`
	Plans       int      `json:"plans"`
	WallSeconds float64  `json:"wall_seconds"`
	// The shrunk failing plan's size and the runs shrinking took.
	ShrunkFaults   int    `json:"shrunk_faults"`
	ShrunkOps      int    `json:"shrunk_ops"`
	ShrinkRuns     int    `json:"shrink_runs"`
	LemmasViolated string `json:"lemmas_violated,omitempty"`
}

// lemmaParties are the single parties whose Dolev–Yao knowledge the bugs
// table evaluates the lemmas with.
var lemmaParties = []string{"relay", "gateway", "target", "network"}

// violatedLemmas reruns plan with bug switched on and evaluates th's
// lemmas on the trace for each single party. It renders them as
// "lemma (party,party)", or "lemma (every party)" for a lemma about the
// honest roles' own facts; "-" if none is violated.
func violatedLemmas(th *spthy.Theory, bug ohttp.Bug, plan *sim.Plan) (string, error) {
	seed := uint64(0)
	if plan.Seed != nil {
		seed = *plan.Seed
	}
	res, err := ohttpsim.Simulate(seed, plan, ohttpsim.Options{Bugs: ohttp.NewBugs(bug)})
	if err != nil {
		return "", err
	}
	run, err := check.New(th, res.Trace, check.Options{})
	if err != nil {
		return "", err
	}
	var names []string
	by := map[string][]string{}
	for _, party := range lemmaParties {
		rep, err := run.Evaluate([]string{party})
		if err != nil {
			return "", err
		}
		for _, l := range rep.Lemmas {
			if l.Verdict != check.Violated {
				continue
			}
			if by[l.Name] == nil {
				names = append(names, l.Name)
			}
			by[l.Name] = append(by[l.Name], party)
		}
	}
	if len(names) == 0 {
		return "-", nil
	}
	out := make([]string, len(names))
	for i, n := range names {
		who := strings.Join(by[n], ",")
		if len(by[n]) == len(lemmaParties) {
			who = "every party"
		}
		out[i] = n + " (" + who + ")"
	}
	return strings.Join(out, "; "), nil
}

func linkabilityCommand(args []string, stdout, stderr io.Writer) int {
	return linkability("linkability", args, stdout, stderr)
}

// linkability runs the experiment for the command line cmd ("run
// --linkability" or "linkability"), which its messages name.
func linkability(cmd string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	worldName := fs.String("world", ohttpsim.Name, "world (only ohttp has the experiment)")
	out := fs.String("out", ".", "directory for linkability.csv and linkability.svg")
	seeds := fs.Int("seeds", 3, "seeds per point")
	first := fs.Uint64("seed", 1, "first seed: the points run seeds seed, seed+1, ...")
	requests := fs.Int("requests", 20, "requests per client")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, cmd, err)
	}
	switch {
	case len(pos) > 0:
		return fail(stderr, cmd, exitUsage, fmt.Errorf("unexpected argument %q", pos[0]))
	case *worldName != ohttpsim.Name:
		return fail(stderr, cmd, exitUsage, fmt.Errorf("world %q has no linkability experiment (known: %s)", *worldName, ohttpsim.Name))
	case *seeds < 1 || *requests < 1:
		return fail(stderr, cmd, exitUsage, errors.New("--seeds and --requests must be at least 1"))
	}
	cc := ohttpsim.DefaultCurve()
	cc.Requests = *requests
	cc.Seeds = nil
	for i := range uint64(*seeds) {
		cc.Seeds = append(cc.Seeds, *first+i)
	}
	pts, err := ohttpsim.Curve(cc)
	if err != nil {
		return fail(stderr, cmd, exitFailed, err)
	}
	csv := ohttpsim.CurveCSV(pts)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail(stderr, cmd, exitEnv, err)
	}
	for name, body := range map[string]string{"linkability.csv": csv, "linkability.svg": ohttpsim.CurveSVG(pts)} {
		if err := writeBytes(filepath.Join(*out, name), []byte(body)); err != nil {
			return fail(stderr, cmd, exitEnv, err)
		}
	}
	io.WriteString(stdout, csv)
	fmt.Fprintf(stdout, "wrote %s and %s\n", filepath.Join(*out, "linkability.csv"), filepath.Join(*out, "linkability.svg"))
	return 0
}
