package main

// This file is `edgelab bugs`: for a world with a catalog of seeded bugs,
// switch each on in turn, search drawn plans until a property fails,
// shrink the failing plan and print a table of detection power; with
// --out, write each shrunk failing run as a replay file. For a world with
// a theory, the table also names the lemmas the shrunk failing run
// violates, and for which parties: the formal side of each catch.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/replay"
	"github.com/edgelab/edgelab/sim/world"
	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/check"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

func init() {
	register(&command{
		name:    "bugs",
		summary: "seeded bugs and the properties that catch them: [--world W] [--plans N] [--out DIR] [--list] [--json]",
		run:     bugsCommand,
	})
}

func bugsCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bugs", flag.ContinueOnError)
	worldName := fs.String("world", "", "world whose seeded bugs to measure (default: every world with a catalog)")
	plans := fs.Int("plans", 50, "plans to try per bug before calling it missed")
	outDir := fs.String("out", "", "write each bug's shrunk failing run as a replay file in this directory")
	list := fs.Bool("list", false, "only list the catalog")
	asJSON := fs.Bool("json", false, "print the table as one JSON document")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "bugs", err)
	}
	switch {
	case len(pos) > 0:
		return fail(stderr, "bugs", exitUsage, fmt.Errorf("unexpected argument %q", pos[0]))
	case *worldName == "":
		return bugsEveryWorld(args, *asJSON, stdout, stderr)
	case *plans < 1:
		return fail(stderr, "bugs", exitUsage, errors.New("--plans must be at least 1"))
	}
	w, err := lookupWorld(*worldName)
	if err != nil {
		return fail(stderr, "bugs", exitUsage, err)
	}
	bc, ok := w.(world.BugCatalog)
	if !ok || len(bc.Bugs()) == 0 {
		return fail(stderr, "bugs", exitUsage, fmt.Errorf("world %s has no seeded-bug catalog", w.Name()))
	}
	if *list {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		for _, b := range bc.Bugs() {
			fmt.Fprintf(tw, "%s\t%s\n", b.Name, b.Summary)
		}
		tw.Flush()
		return exitOK
	}
	var th *spthy.Theory
	if m, ok := w.(world.Modeled); ok {
		if th, err = tamarin.Parse(m.Theory()); err != nil {
			return fail(stderr, "bugs", exitFailed, err)
		}
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return fail(stderr, "bugs", exitEnv, err)
		}
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "BUG\tCAUGHT\tPROPERTY\tPLANS\tWALL\tSHRUNK FAULTS\tSHRUNK OPS\tSHRINK RUNS")
	if th != nil {
		fmt.Fprint(tw, "\tLEMMAS VIOLATED")
	}
	fmt.Fprintln(tw)
	missed := 0
	var files []string
	doc := bugsJSON{World: w.Name(), Bugs: []bugJSON{}}
	for _, bug := range bc.Bugs() {
		d, err := world.Hunt(w, bug.Name, *plans)
		if err != nil {
			return fail(stderr, "bugs", exitFailed, fmt.Errorf("%s: %w", bug.Name, err))
		}
		bj := bugJSON{Bug: bug.Name, Caught: d.Caught, Plans: d.Plans, WallSeconds: d.Wall.Seconds()}
		if !d.Caught {
			missed++
			fmt.Fprintf(tw, "%s\tno\t-\t%d\t%v\t-\t-\t-", bug.Name, d.Plans, d.Wall.Round(time.Millisecond))
			if th != nil {
				fmt.Fprint(tw, "\t-")
			}
			fmt.Fprintln(tw)
			doc.Bugs = append(doc.Bugs, bj)
			continue
		}
		faults, ops := world.Size(w, d.Shrunk.Plan)
		lemmas := ""
		if th != nil {
			if lemmas, err = violatedLemmas(th, d.Shrunk.Outcome.Trace); err != nil {
				return fail(stderr, "bugs", exitFailed, fmt.Errorf("%s: %w", bug.Name, err))
			}
		}
		bj.Properties, bj.ShrunkFaults, bj.ShrunkOps, bj.ShrinkRuns, bj.LemmasViolated = d.First.Properties(), faults, ops, d.Shrunk.Runs, lemmas
		fmt.Fprintf(tw, "%s\tyes\t%s\t%d\t%v\t%d\t%s\t%d", bug.Name, strings.Join(bj.Properties, "+"), d.Plans,
			d.Wall.Round(time.Millisecond), faults, opsText(ops), d.Shrunk.Runs)
		if th != nil {
			fmt.Fprint(tw, "\t"+lemmas)
		}
		fmt.Fprintln(tw)
		if *outDir != "" {
			rs := newRunSpec(w, *d.Shrunk.Plan.Seed, d.Shrunk.Plan)
			rs.opts = world.Options{Bugs: []string{bug.Name}}
			path, err := filepath.Abs(filepath.Join(*outDir, bugFileName(w.Name(), bug.Name)))
			if err == nil {
				err = replay.Write(path, rs.replayFile(d.Shrunk.Outcome))
			}
			if err != nil {
				return fail(stderr, "bugs", exitEnv, fmt.Errorf("%s: writing the replay file: %w", bug.Name, err))
			}
			files = append(files, path)
			bj.Replay = path
		}
		doc.Bugs = append(doc.Bugs, bj)
	}
	n := len(bc.Bugs())
	doc.Total, doc.Caught = n, n-missed
	if *asJSON {
		if err := writeJSON(stdout, doc); err != nil {
			return fail(stderr, "bugs", exitEnv, err)
		}
	} else {
		tw.Flush()
		for _, f := range files {
			fmt.Fprintf(stdout, "replay: %s\n", replay.Command(f))
		}
		if missed > 0 {
			fmt.Fprintf(stdout, "%d of %d bugs missed\n", missed, n)
		} else {
			fmt.Fprintf(stdout, "all %d bugs caught\n", n)
		}
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
	// The shrunk failing plan's size (ops -1: the world does not say) and
	// the runs shrinking took.
	ShrunkFaults   int    `json:"shrunk_faults"`
	ShrunkOps      int    `json:"shrunk_ops"`
	ShrinkRuns     int    `json:"shrink_runs"`
	LemmasViolated string `json:"lemmas_violated,omitempty"`
	// Replay is the shrunk run's replay file (with --out).
	Replay string `json:"replay,omitempty"`
}

// bugFileName names the replay file of a bug's shrunk failing run.
func bugFileName(world, bug string) string { return "edgelab-bug-" + world + "-" + bug + ".json" }

func opsText(ops int) string {
	if ops < 0 {
		return "-"
	}
	return fmt.Sprint(ops)
}

// violatedLemmas evaluates th's lemmas on tr for each single party of the
// theory's party table. It renders them as "lemma (party,party)", or
// "lemma (every party)" for a lemma about the honest roles' own facts; "-"
// if none is violated.
func violatedLemmas(th *spthy.Theory, tr *model.Trace) (string, error) {
	run, err := check.New(th, tr, check.Options{})
	if err != nil {
		return "", err
	}
	cfg, err := check.ConfigFor(th)
	if err != nil {
		return "", err
	}
	parties := cfg.PartyNames()
	var names []string
	by := map[string][]string{}
	for _, party := range parties {
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
		if len(by[n]) == len(parties) {
			who = "every party"
		}
		out[i] = n + " (" + who + ")"
	}
	return strings.Join(out, "; "), nil
}

// bugsEveryWorld is `edgelab bugs` without --world: the same for every
// world of the list that has a catalog, in order, each under a heading
// (with --json, one JSON array of the worlds' documents). It fails if any
// world's does.
func bugsEveryWorld(args []string, asJSON bool, stdout, stderr io.Writer) int {
	status := exitOK
	var docs []json.RawMessage
	for _, w := range worlds {
		if bc, ok := w.(world.BugCatalog); !ok || len(bc.Bugs()) == 0 {
			continue
		}
		var out bytes.Buffer
		code := bugsCommand(append(append([]string(nil), args...), "--world", w.Name()), &out, stderr)
		if code == exitUsage || code == exitEnv {
			return code
		}
		status = max(status, code)
		if asJSON {
			docs = append(docs, json.RawMessage(bytes.TrimSpace(out.Bytes())))
			continue
		}
		fmt.Fprintf(stdout, "== %s\n%s", w.Name(), out.String())
	}
	if asJSON {
		if err := writeJSON(stdout, docs); err != nil {
			return fail(stderr, "bugs", exitEnv, err)
		}
	}
	return status
}
