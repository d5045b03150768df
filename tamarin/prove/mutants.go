package prove

// This file reads theory mutants (tamarin/theories/testdata/mutants, the
// format in its README.md), applies them to their theories and proves
// that each falsifies the lemmas it names.

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// Mutant is one small change to a theory and the lemmas it must falsify.
type Mutant struct {
	Theory string // the theory it changes
	Name   string
	File   string // where it came from, for messages
	// Falsifies lists the lemmas that must come out falsified on the
	// changed theory (ObservationalEquivalence for a diff theory's).
	Falsifies []string
	Why       string
	// ReuseOff says the targets are proved with [reuse] stripped only;
	// otherwise a target the stripped run cannot decide is proved again
	// with the theory's helpers as written.
	ReuseOff bool
	Blocks   []Replace
}

// Replace is one replace block: Find, whole lines that occur exactly
// once in the theory, becomes With.
type Replace struct {
	Find, With string
	Line       int // of the block's "@@ replace" in the mutant file
}

// ID is the mutant's name in reports: "ohttp/relay_tags_client".
func (m Mutant) ID() string { return m.Theory + "/" + m.Name }

// ParseMutant reads a mutant file: "key: value" header lines (falsifies,
// why, reuse) and "#" comments, then "@@ replace" / "@@ with" / "@@ end"
// blocks whose texts are whole lines, verbatim.
func ParseMutant(theory, name, file string, data []byte) (Mutant, error) {
	m := Mutant{Theory: theory, Name: name, File: file}
	bad := func(line int, format string, args ...any) (Mutant, error) {
		return Mutant{}, fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
	}
	lines := strings.SplitAfter(string(data), "\n")
	const (
		header = iota
		find
		with
	)
	state := header
	var cur Replace
	var text strings.Builder
	seen := map[string]bool{}
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimRight(raw, "\r\n")
		if strings.HasPrefix(line, "@@") {
			switch strings.TrimSpace(line) {
			case "@@ replace":
				if state != header {
					return bad(n, "@@ replace inside a block (missing @@ end)")
				}
				state, cur = find, Replace{Line: n}
				text.Reset()
			case "@@ with":
				if state != find {
					return bad(n, "@@ with without @@ replace")
				}
				cur.Find = text.String()
				text.Reset()
				state = with
			case "@@ end":
				if state != with {
					return bad(n, "@@ end without @@ with")
				}
				cur.With = text.String()
				if strings.TrimSpace(cur.Find) == "" {
					return bad(cur.Line, "empty text to replace")
				}
				m.Blocks = append(m.Blocks, cur)
				state = header
			default:
				return bad(n, "unknown directive %q", line)
			}
			continue
		}
		if state != header {
			text.WriteString(raw)
			continue
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if len(m.Blocks) > 0 {
			return bad(n, "text between blocks: %q", trimmed)
		}
		key, value, ok := strings.Cut(trimmed, ":")
		if !ok {
			return bad(n, "expected \"key: value\", a # comment or @@ replace, got %q", trimmed)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if seen[key] {
			return bad(n, "%s: given twice", key)
		}
		seen[key] = true
		switch key {
		case "falsifies":
			m.Falsifies = strings.Fields(strings.ReplaceAll(value, ",", " "))
		case "why":
			m.Why = value
		case "reuse":
			switch value {
			case "off":
				m.ReuseOff = true
			case "on":
			default:
				return bad(n, "reuse: %q, want off (or on)", value)
			}
		default:
			return bad(n, "unknown header key %q", key)
		}
	}
	switch {
	case state != header:
		return bad(len(lines), "block not closed with @@ end")
	case len(m.Falsifies) == 0:
		return bad(1, "no falsifies: header")
	case m.Why == "":
		return bad(1, "no why: header")
	case len(m.Blocks) == 0:
		return bad(1, "no replace block")
	}
	return m, nil
}

// Apply returns src with the mutant's blocks applied in order; a text to
// find that is not in the theory exactly once is an error.
func (m Mutant) Apply(src []byte) ([]byte, error) {
	out := src
	for _, b := range m.Blocks {
		switch n := bytes.Count(out, []byte(b.Find)); n {
		case 1:
		case 0:
			return nil, fmt.Errorf("%s:%d: the text to replace is not in %s.spthy", m.File, b.Line, m.Theory)
		default:
			return nil, fmt.Errorf("%s:%d: the text to replace occurs %d times in %s.spthy, not once", m.File, b.Line, n, m.Theory)
		}
		out = bytes.Replace(out, []byte(b.Find), []byte(b.With), 1)
	}
	if bytes.Equal(out, src) {
		return nil, fmt.Errorf("%s: the mutant changes nothing", m.File)
	}
	return out, nil
}

// Mutants reads the embedded mutants and checks each without a prover:
// it parses, its theory exists, it applies, the changed theory parses,
// and every lemma it targets is one the theory expects verified (and
// still has). A mutant with a problem is left out of the list.
func Mutants() ([]Mutant, []Problem) {
	var out []Mutant
	var probs []Problem
	for _, f := range tamarin.MutantFiles() {
		m, err := ParseMutant(f.Theory, f.Name, f.File, f.Data)
		if err == nil {
			var t tamarin.Theory
			if t, err = tamarin.Lookup(m.Theory); err == nil {
				err = CheckMutant(m, t.Source)
			} else {
				err = fmt.Errorf("%s: %v", m.File, err)
			}
		}
		if err != nil {
			probs = append(probs, Problem{Theory: f.Theory + "/" + f.Name, Msg: err.Error()})
			continue
		}
		out = append(out, m)
	}
	return out, probs
}

// CheckMutant checks m against its theory's source orig without a
// prover: it applies, the changed theory parses, and every lemma it
// targets is one the theory expects verified and the mutant keeps.
func CheckMutant(m Mutant, orig []byte) error {
	src, err := m.Apply(orig)
	if err != nil {
		return err
	}
	th, err := spthy.Parse(orig, spthy.Options{File: m.Theory + ".spthy"})
	if err != nil {
		return err
	}
	mut, err := spthy.Parse(src, spthy.Options{File: m.File + " applied to " + m.Theory + ".spthy"})
	if err != nil {
		return err
	}
	for _, l := range m.Falsifies {
		if l == ObservationalEquivalence {
			if !IsDiff(orig) {
				return fmt.Errorf("%s: falsifies %s, but %s is no diff theory", m.File, l, m.Theory)
			}
			if DiffExpectation(orig) != Verified {
				return fmt.Errorf("%s: falsifies %s, which %s does not expect verified", m.File, l, m.Theory)
			}
			continue
		}
		ol, ok := lemmaNamed(th, l)
		if !ok {
			return fmt.Errorf("%s: falsifies %s: no such lemma in %s", m.File, l, m.Theory)
		}
		if Expectation(orig, ol) != Verified {
			return fmt.Errorf("%s: falsifies %s, which %s does not expect verified", m.File, l, m.Theory)
		}
		if _, ok := lemmaNamed(mut, l); !ok {
			return fmt.Errorf("%s: falsifies %s, but the mutant removes it", m.File, l)
		}
	}
	return nil
}

func lemmaNamed(th *spthy.Theory, name string) (spthy.Lemma, bool) {
	for _, l := range th.Lemmas {
		if l.Name == name {
			return l, true
		}
	}
	return spthy.Lemma{}, false
}

// Target is what a mutant's run found for one lemma it targets.
type Target struct {
	Lemma string
	// Results are the deciding run's results for the lemma (one per side
	// of a diff theory): the run with [reuse] stripped, or the run as
	// written when that one did not decide.
	Results []Result
	// Alone is set when Results come from the run with [reuse] stripped.
	Alone bool
	// Killed: some result is falsified, by a trace found or (an
	// exists-trace lemma) by a complete proof that rests on no failed
	// helper.
	Killed bool
}

// MutantReport is one mutant's run.
type MutantReport struct {
	Mutant  Mutant
	Targets []Target
	// Helpers are the other results of the runs (the [sources] lemmas),
	// shown when they fail.
	Helpers []Result
	// Wellformedness is the prover's report on the changed theory.
	Wellformedness []WFCheck
}

// Survived reports whether some target came out of the mutant unbroken.
func (r *MutantReport) Survived() bool {
	for _, t := range r.Targets {
		if !t.Killed {
			return true
		}
	}
	return false
}

// ProveMutant applies m to its theory and proves its targets, each alone
// (tamarin-prover --prove=LEMMA on the theory with [reuse] stripped, its
// [sources] lemmas proved beside it). A target that run cannot decide (a
// timeout, an incomplete proof) is proved again with the theory's
// helpers as written, unless the mutant says reuse: off. A trace found
// kills the target in either run: it is a real trace of the changed
// model whatever the helpers claim.
//
// orig is the source of the theory m changes.
func ProveMutant(ctx context.Context, m Mutant, orig []byte, opts Options) (*MutantReport, error) {
	src, err := m.Apply(orig)
	if err != nil {
		return nil, err
	}
	rep := &MutantReport{Mutant: m}
	alone := opts
	alone.Lemma, alone.Lemmas, alone.NoReuse, alone.Progress = "", m.Falsifies, true, nil
	first, err := Run(ctx, m.ID(), src, alone)
	if err != nil {
		return nil, err
	}
	rep.Wellformedness = first.Wellformedness
	targets := map[string]bool{}
	for _, l := range m.Falsifies {
		targets[l] = true
	}
	var undecided []string
	for _, l := range m.Falsifies {
		tg := Target{Lemma: l, Alone: true, Results: resultsOf(first.Results, l)}
		tg.Killed = killed(tg.Results)
		if !tg.Killed && !decided(tg.Results) && !m.ReuseOff {
			undecided = append(undecided, l)
		}
		rep.Targets = append(rep.Targets, tg)
	}
	for _, r := range first.Results {
		if !targets[r.Lemma] {
			rep.Helpers = append(rep.Helpers, r)
		}
	}
	if len(undecided) > 0 {
		written := opts
		written.Lemma, written.Lemmas, written.NoReuse, written.Progress = "", undecided, false, nil
		second, err := Run(ctx, m.ID(), src, written)
		if err != nil {
			return nil, err
		}
		for i, tg := range rep.Targets {
			rs := resultsOf(second.Results, tg.Lemma)
			if len(rs) == 0 {
				continue
			}
			// The run as written decides if it kills, or if the one alone
			// gave no verdict at all; otherwise the stripped run stands.
			if killed(rs) || decided(rs) {
				rep.Targets[i] = Target{Lemma: tg.Lemma, Results: rs, Killed: killed(rs)}
			}
		}
	}
	if opts.Progress != nil {
		for _, tg := range rep.Targets {
			for _, r := range tg.Results {
				opts.Progress(r)
			}
		}
	}
	return rep, nil
}

func resultsOf(rs []Result, lemma string) []Result {
	var out []Result
	for _, r := range rs {
		if r.Lemma == lemma {
			out = append(out, r)
		}
	}
	return out
}

// killed: some side of the lemma is falsified on a verdict that stands.
func killed(rs []Result) bool {
	for _, r := range rs {
		if r.Got == Falsified && len(r.RestsOn) == 0 {
			return true
		}
	}
	return false
}

// decided: every side has a verdict (verified or falsified).
func decided(rs []Result) bool {
	if len(rs) == 0 {
		return false
	}
	for _, r := range rs {
		if r.Got != Verified && r.Got != Falsified {
			return false
		}
	}
	return true
}

// LemmaCoverage is what the mutants say about one lemma.
type LemmaCoverage struct {
	Theory, Lemma string
	// Aimed lists the mutants targeting it; Killed those that falsified it.
	Aimed, Killed []string
}

// Vacuous reports whether mutants aimed at the lemma and none broke it.
func (c LemmaCoverage) Vacuous() bool { return len(c.Aimed) > 0 && len(c.Killed) == 0 }

// Coverage lists, for every lemma of theories that the theory expects
// verified and that is all-traces and no [sources] lemma (or is a diff
// theory's equivalence), which of the reports' mutants aimed at it and
// which killed it. Lemmas without a mutant have empty Aimed.
func Coverage(reports []*MutantReport, theories []tamarin.Theory) []LemmaCoverage {
	byKey := map[[2]string]*LemmaCoverage{}
	var order [][2]string
	for _, t := range theories {
		th, err := t.Parse()
		if err != nil {
			continue
		}
		add := func(lemma string) {
			k := [2]string{t.Name, lemma}
			byKey[k] = &LemmaCoverage{Theory: t.Name, Lemma: lemma}
			order = append(order, k)
		}
		for _, l := range th.Lemmas {
			if Expectation(t.Source, l) == Verified && l.Traces != spthy.ExistsTrace && !hasAttr(l, "sources") {
				add(l.Name)
			}
		}
		if IsDiff(t.Source) && DiffExpectation(t.Source) == Verified {
			add(ObservationalEquivalence)
		}
	}
	for _, r := range reports {
		for _, tg := range r.Targets {
			c := byKey[[2]string{r.Mutant.Theory, tg.Lemma}]
			if c == nil {
				continue
			}
			c.Aimed = append(c.Aimed, r.Mutant.Name)
			if tg.Killed {
				c.Killed = append(c.Killed, r.Mutant.Name)
			}
		}
	}
	out := make([]LemmaCoverage, 0, len(order))
	for _, k := range order {
		c := byKey[k]
		sort.Strings(c.Aimed)
		sort.Strings(c.Killed)
		out = append(out, *c)
	}
	return out
}

func hasAttr(l spthy.Lemma, key string) bool {
	for _, a := range l.Attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}
