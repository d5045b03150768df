// Package world is the one interface every simulated world implements and
// every generic tool uses: the command line (run, sweep, replay, shrink,
// bugs, export, check), rapid property tests (sim/simtest), seed sweeps
// (sim/sweep) and replay files (sim/replay).
//
// A world is a deterministic function from (seed, plan, options) to an
// Outcome: a verdict (which properties failed and why), numeric figures
// in a fixed order, and the trace. Everything else a world may offer is an
// optional interface beside World:
//
//   - BugCatalog: seeded bugs, switched on by name through Options.Bugs,
//     so the lab can measure that the world's properties catch them;
//   - Modeled: the Tamarin theory the world's traces are checked against
//     (the theory's party table sits beside the theory);
//   - Explained: what each of its figures means;
//   - Sized: how many operations a plan asks for, so a shrunk plan's size
//     can be reported as faults and operations;
//   - Experimenter: measurements of many runs that are not one verdict
//     (the OHTTP world's linkability curve);
//   - Reporter: the world's own figures for the lab's report, drawn from a
//     sweep of its runs (series and histograms, see Chart);
//   - Propertied: the names of every property its runs are judged by.
//
// There is no registry. The command line keeps the list of worlds it
// knows, and adding a world is one line in that list.
//
// This package also holds what works on any world: the generic shrinker
// (Shrink) and the seeded-bug search (Hunt).
package world

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
)

// World is one simulated world.
//
// Run must depend on nothing but its arguments, so that a replay file
// (world, seed, plan, options) reproduces a run byte for byte, and it must
// be safe to call from several goroutines at once: sweeps run seeds in
// parallel, each in its own simulation.
type World interface {
	// Name is the world's name in plans, replay files and on the command
	// line ("ohttp", "ping").
	Name() string
	// Summary says in one line what the world simulates.
	Summary() string
	// DefaultSeed and DefaultPlan are what a run without a seed or a
	// plan uses. DefaultPlan returns a fresh plan each call (the caller
	// may change it), or nil for "defaults, no faults".
	DefaultSeed() uint64
	DefaultPlan() *sim.Plan
	// Shape tells the plan generator what the world looks like: knob
	// ranges, node names, the fault horizon. Generated, soak and shrunk
	// plans all come from it.
	Shape() sim.Shape
	// Run runs the world once with seed under plan (nil: the world's
	// defaults, no faults). A failed property is an Outcome with
	// Violations, not an error. An error means the run could not be
	// judged: a *sim.PlanError for a plan (or an option) that does not
	// fit the world, anything else for a run that broke. Callers run a
	// world through the package's Run, which also judges a run the kernel
	// stopped at its step bound.
	Run(seed uint64, plan *sim.Plan, opts Options) (*Outcome, error)
}

// Options vary a run beyond its seed and plan. Every field changes the
// run, so replay files record them all.
type Options struct {
	// Bugs names the seeded bugs to switch on, from the world's
	// BugCatalog. A world without a catalog, or a name not in it, is a
	// *sim.PlanError (see CheckBugs).
	Bugs []string `json:"bugs,omitempty"`
}

// Outcome is what one run of a world reports.
type Outcome struct {
	// Violations are the properties that failed, in the world's order;
	// none means the run passed.
	Violations []Violation
	// Figures are the run's key numbers, in the world's order.
	Figures Figures
	// Details are extra lines for a human reader (per-property verdicts,
	// virtual time and event counts).
	Details []string
	// Trace is the run's trace; its hash identifies the run.
	Trace *model.Trace
}

// Violation is one failed property.
type Violation struct {
	// Property names the property ("symbolic", "swap", "accounting").
	Property string
	// Message says in one line what broke.
	Message string
}

func (v Violation) String() string { return v.Property + ": " + v.Message }

// Pass reports whether every property held.
func (o *Outcome) Pass() bool { return len(o.Violations) == 0 }

// Why is the first violation in one line, "" if the run passed.
func (o *Outcome) Why() string {
	if o.Pass() {
		return ""
	}
	return oneLine(o.Violations[0].String())
}

// Properties lists the failed properties' names, in order.
func (o *Outcome) Properties() []string {
	out := make([]string, len(o.Violations))
	for i, v := range o.Violations {
		out[i] = v.Property
	}
	return out
}

// Figure is one named number of a run.
type Figure struct {
	Name  string
	Value float64
}

// Figures are a run's numbers in a fixed order, so that printing them is
// deterministic.
type Figures []Figure

// String renders the figures on one line as "name=value ...".
func (fs Figures) String() string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Name + "=" + strconv.FormatFloat(f.Value, 'g', -1, 64)
	}
	return strings.Join(parts, " ")
}

// Counters returns the figures that are whole numbers, by name (a JSON
// report's counters); nil if there are none.
func (fs Figures) Counters() map[string]int64 {
	var out map[string]int64
	for _, f := range fs {
		if f.Value == float64(int64(f.Value)) {
			if out == nil {
				out = map[string]int64{}
			}
			out[f.Name] = int64(f.Value)
		}
	}
	return out
}

// Get returns the figure named name.
func (fs Figures) Get(name string) (float64, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f.Value, true
		}
	}
	return 0, false
}

// MarshalJSON writes the figures as one object whose keys keep their
// order.
func (fs Figures) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Name)
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, fmt.Errorf("figure %s: %w", f.Name, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// Explained is a world that says what each of its figures means.
type Explained interface {
	World
	// Glossary lists the figures in their order, each with its meaning.
	Glossary() []Term
}

// Term is one figure's name and what it counts.
type Term struct {
	Name    string
	Meaning string
}

// Bug is one entry of a world's seeded-bug catalog.
type Bug struct {
	// Name switches the bug on (Options.Bugs, `edgelab run --bug`).
	Name string
	// Summary says in one line what mistake the bug plants.
	Summary string
}

// BugCatalog is a world with seeded bugs: realistic mistakes in the code
// under test, each off unless named in Options.Bugs.
type BugCatalog interface {
	World
	// Bugs lists the catalog in a fixed order.
	Bugs() []Bug
}

// Modeled is a world whose traces follow a Tamarin theory.
type Modeled interface {
	World
	// Theory names the embedded theory (tamarin/theories/NAME.spthy);
	// its party table, beside it, maps the theory's parties to the
	// world's node names.
	Theory() string
}

// Sized is a world that can say how much work a plan asks for.
type Sized interface {
	World
	// Operations is how many operations (requests, writes, pings) the
	// plan's knobs ask for.
	Operations(plan *sim.Plan) (int, error)
}

// Experimenter is a world with experiments: measurements over many runs
// that end in figures or files rather than in one verdict.
type Experimenter interface {
	World
	// Experiments lists them in a fixed order.
	Experiments() []Experiment
}

// Experiment is one measurement a world offers.
type Experiment struct {
	// Name picks the experiment on the command line.
	Name string
	// Summary says in one line what it measures.
	Summary string
	// Bind defines the experiment's own flags on fs and returns what
	// runs it once fs is parsed: it writes its files under dir and a
	// report to stdout. An error it returns is the run's, not the
	// command line's.
	Bind func(fs *flag.FlagSet) (run func(dir string, stdout io.Writer) error)
}

// CheckBugs reports whether opts fits w: every bug named exists in w's
// catalog, once. The error is a *sim.PlanError on the field "bugs".
func CheckBugs(w World, opts Options) error {
	if len(opts.Bugs) == 0 {
		return nil
	}
	bc, ok := w.(BugCatalog)
	if !ok {
		return &sim.PlanError{Field: "bugs", Err: fmt.Errorf("world %s has no seeded bugs", w.Name())}
	}
	var known []string
	for _, b := range bc.Bugs() {
		known = append(known, b.Name)
	}
	for i, name := range opts.Bugs {
		if !slices.Contains(known, name) {
			return &sim.PlanError{Field: "bugs", Err: fmt.Errorf("unknown bug %q for world %s (known: %s)", name, w.Name(), strings.Join(known, ", "))}
		}
		if slices.Contains(opts.Bugs[:i], name) {
			return &sim.PlanError{Field: "bugs", Err: fmt.Errorf("bug %q named twice", name)}
		}
	}
	return nil
}

// Find returns the world named name from worlds, or an error that lists
// the known names.
func Find(worlds []World, name string) (World, error) {
	var names []string
	for _, w := range worlds {
		if w.Name() == name {
			return w, nil
		}
		names = append(names, w.Name())
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknown, name, strings.Join(names, ", "))
}

// ErrUnknown is wrapped by Find's error.
var ErrUnknown = errors.New("unknown world")

// MustPlan parses a plan a world embeds as JSON (its default plan); a
// malformed one is a bug in the world, so it panics.
func MustPlan(js string) *sim.Plan {
	p, err := sim.ParsePlan([]byte(js))
	if err != nil {
		panic(fmt.Sprintf("world: embedded plan: %v", err))
	}
	return p
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
