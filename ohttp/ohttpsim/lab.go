package ohttpsim

// This file is the OHTTP world behind the sim/world interface, as the
// command line, sweeps and property tests run it: properties 1 and 2 as
// its verdict, the seeded bugs of package ohttp as its catalog,
// tamarin/theories/ohttp.spthy as its theory and the linkability curve
// (property 3) as an experiment.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/edgelab/edgelab/internal/atomicfile"
	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/world"
)

// World is the OHTTP world as a world.World.
type World struct{}

var (
	_ world.BugCatalog   = World{}
	_ world.Modeled      = World{}
	_ world.Sized        = World{}
	_ world.Experimenter = World{}
	_ world.Explained    = World{}
)

func (World) Name() string { return Name }
func (World) Summary() string {
	return "Oblivious HTTP: clients, relay, gateway, target; unlinkability checked three ways"
}
func (World) DefaultSeed() uint64     { return DefaultSeed }
func (World) DefaultPlan() *plan.Plan { return world.MustPlan(DefaultPlan) }
func (World) Shape() plan.Shape       { return Shape }
func (World) Glossary() []world.Term  { return Glossary }

// Theory is the theory the world's traces replay as runs of.
func (World) Theory() string { return TheoryName }

// Bugs is package ohttp's catalog.
func (World) Bugs() []world.Bug {
	var out []world.Bug
	for _, b := range ohttp.AllBugs() {
		out = append(out, world.Bug{Name: string(b), Summary: b.Summary()})
	}
	return out
}

// Run evaluates properties 1 and 2 with the named bugs switched on.
func (w World) Run(seed uint64, p *plan.Plan, opts world.Options) (*world.Outcome, error) {
	_, o, err := w.RunResult(seed, p, opts)
	return o, err
}

// RunResult is Run that also returns the Result the outcome was judged
// from, for properties of a caller's own (world.WithProperty).
func (w World) RunResult(seed uint64, p *plan.Plan, opts world.Options) (*Result, *world.Outcome, error) {
	if err := world.CheckBugs(w, opts); err != nil {
		return nil, nil, err
	}
	var bugs ohttp.Bugs
	for _, b := range opts.Bugs {
		if bugs == nil {
			bugs = ohttp.Bugs{}
		}
		bugs[ohttp.Bug(b)] = true
	}
	r, err := Evaluate(seed, p, Options{Bugs: bugs})
	if err != nil {
		return nil, nil, err
	}
	o := &world.Outcome{Figures: r.Figures(), Trace: r.Trace}
	for _, v := range r.Verdicts {
		o.Details = append(o.Details, v.String())
		if !v.Pass {
			o.Violations = append(o.Violations, world.Violation{Property: v.Property, Message: strings.Join(v.Why, "; ")})
		}
	}
	o.Details = append(o.Details, fmt.Sprintf("virtual time %v, %d kernel events, %d trace events",
		r.Report.End, r.Report.Events, len(r.Trace.Events)))
	return r, o, nil
}

// Operations is the workload's size: clients times requests.
func (World) Operations(p *plan.Plan) (int, error) {
	c, err := ConfigFrom(p)
	if err != nil {
		return 0, err
	}
	return c.Clients * c.Requests, nil
}

// Experiments is the linkability curve.
func (World) Experiments() []world.Experiment {
	return []world.Experiment{{
		Name:    "linkability",
		Summary: "a timing adversary on both sides of the relay vs batching and delay: linkability.csv and .svg",
		Bind:    bindLinkability,
	}}
}

func bindLinkability(fs *flag.FlagSet) func(dir string, stdout io.Writer) error {
	seeds, requests := 3, 20
	// Checked as the flags parse, so a bad value is the command line's
	// error, not the experiment's.
	positive := func(v *int) func(string) error {
		return func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return errors.New("want an integer of at least 1")
			}
			*v = n
			return nil
		}
	}
	fs.Func("seeds", "seeds per point (default 3)", positive(&seeds))
	fs.Func("requests", "requests per client (default 20)", positive(&requests))
	first := fs.Uint64("seed", 1, "first seed: the points run seeds seed, seed+1, ...")
	return func(dir string, stdout io.Writer) error {
		cc := DefaultCurve()
		cc.Requests = requests
		cc.Seeds = nil
		for i := range uint64(seeds) {
			cc.Seeds = append(cc.Seeds, *first+i)
		}
		pts, err := Curve(cc)
		if err != nil {
			return err
		}
		csv := CurveCSV(pts)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for _, f := range []struct{ name, body string }{{"linkability.csv", csv}, {"linkability.svg", CurveSVG(pts)}} {
			if err := atomicfile.WriteFile(filepath.Join(dir, f.name), []byte(f.body)); err != nil {
				return err
			}
		}
		io.WriteString(stdout, csv)
		fmt.Fprintf(stdout, "wrote %s and %s\n", filepath.Join(dir, "linkability.csv"), filepath.Join(dir, "linkability.svg"))
		return nil
	}
}
