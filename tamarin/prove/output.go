package prove

// This file reads tamarin-prover's standard output: the "summary of
// summaries" at its end (one line per lemma, per side in diff mode) and
// the wellformedness report printed in a comment of the theory above it.

import (
	"bufio"
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Side is the side of a diff theory a lemma was proved on: tamarin-prover
// --diff proves every ordinary lemma on the left and on the right
// projection, and the observational-equivalence lemma on both at once.
type Side string

const (
	NoSide Side = ""    // not a diff theory, or the diff lemma itself
	LHS    Side = "LHS" // the left projection (diff(l, r) is l)
	RHS    Side = "RHS" // the right projection
)

// DiffTraces is Summary.Traces (and Result.Traces) of the
// observational-equivalence lemma, which has no trace quantifier.
const DiffTraces = "diff"

// ObservationalEquivalence is the lemma tamarin-prover --diff generates
// for every diff theory: its two projections are indistinguishable.
const ObservationalEquivalence = "Observational_equivalence"

// Summary is one lemma line of tamarin-prover's "summary of summaries":
//
//	request_secrecy (all-traces): verified (20 steps)
//	RHS :  request_secrecy (all-traces): verified (20 steps)
//	DiffLemma:  Observational_equivalence : falsified - found trace (31 steps)
type Summary struct {
	Lemma  string
	Side   Side
	Traces string // "all-traces", "exists-trace", or DiffTraces
	Status Status
	Detail string // "found trace", "no trace found", why incomplete, or empty
	Steps  int
}

// Output is what ParseOutput reads from tamarin-prover's standard output.
type Output struct {
	Lemmas []Summary
	// Warnings are the summary's warning lines, such as
	// "WARNING: 1 wellformedness check failed!".
	Warnings []string
	// Wellformedness holds the failed wellformedness checks, from the
	// report tamarin prints in a comment at the end of the theory.
	Wellformedness []WFCheck
}

// WFCheck is one failed wellformedness check: a section of tamarin's
// report, such as
//
//	Message Derivation Checks
//	=========================
//
//	  The variables of the following rule(s) are not derivable ...
//
//	Rule Gateway_Recv:
//	Failed to derive Variable(s): ek
type WFCheck struct {
	Title string // the section's title: "Fact usage", "Message Derivation Checks", ...
	Text  string // its body, blank lines dropped and lines trimmed
	// Error is set for every check but the derivation checks, which
	// tamarin itself words as a hint ("you may be performing unintended
	// pattern matching") or which ran out of their time (a busy machine,
	// not a fault of the theory): the rest (fact usage, unbound
	// variables, lemma actions no rule has, ...) say the theory is not
	// the one its author meant, so its proofs mean nothing.
	Error bool
}

// derivationChecks ends the titles of the wellformedness sections that
// are warnings, not errors: "Message Derivation Checks", and "Derivation
// Checks" when they timed out.
const derivationChecks = "Derivation Checks"

var (
	verdictRe   = `(verified|falsified - found trace|falsified - no trace found|analysis incomplete|analysis undetermined|analysis cannot be finished \([^)]*\)|proof has been invalidated)`
	stepsRe     = `(?: \((\d+) steps?\))?\s*$`
	summaryLine = regexp.MustCompile(`^\s*(?:(LHS|RHS) :\s+)?(\S+) \((all-traces|exists-trace)\): ` + verdictRe + stepsRe)
	diffLine    = regexp.MustCompile(`^\s*DiffLemma:\s+(\S+) : ` + verdictRe + stepsRe)
	warningLine = regexp.MustCompile(`^\s*(WARNING: .*)$`)
	wfCount     = regexp.MustCompile(`WARNING: (\d+) wellformedness checks? failed`)
	underline   = regexp.MustCompile(`^\s*=+\s*$`)
)

// ParseOutput reads the summary of summaries of one tamarin-prover run. It
// is an error if there is none: tamarin did not get to the end.
func ParseOutput(out []byte) (*Output, error) {
	i := bytes.LastIndex(out, []byte("summary of summaries:"))
	if i < 0 {
		return nil, errors.New("prove: no \"summary of summaries\" in tamarin-prover's output")
	}
	o := &Output{}
	sc := bufio.NewScanner(bytes.NewReader(out[i:]))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := summaryLine.FindStringSubmatch(line); m != nil {
			s := Summary{Side: Side(m[1]), Lemma: m[2], Traces: m[3]}
			s.Status, s.Detail = verdict(m[4])
			s.Steps, _ = strconv.Atoi(m[5])
			o.Lemmas = append(o.Lemmas, s)
			continue
		}
		if m := diffLine.FindStringSubmatch(line); m != nil {
			s := Summary{Lemma: m[1], Traces: DiffTraces}
			s.Status, s.Detail = verdict(m[2])
			s.Steps, _ = strconv.Atoi(m[3])
			o.Lemmas = append(o.Lemmas, s)
			continue
		}
		if m := warningLine.FindStringSubmatch(line); m != nil {
			o.Warnings = append(o.Warnings, strings.TrimSpace(m[1]))
		}
	}
	o.Wellformedness = parseWellformedness(out[:i])
	// The summary counts failed checks; a report whose sections could not
	// be read still counts as failed checks, in tamarin's own words.
	if len(o.Wellformedness) == 0 {
		for _, w := range o.Warnings {
			if wfCount.MatchString(w) {
				o.Wellformedness = append(o.Wellformedness, WFCheck{Title: "wellformedness", Text: w, Error: true})
			}
		}
	}
	return o, nil
}

func verdict(s string) (Status, string) {
	switch {
	case s == "verified":
		return Verified, ""
	case strings.HasPrefix(s, "falsified - "):
		return Falsified, strings.TrimPrefix(s, "falsified - ")
	case s == "analysis incomplete":
		return Incomplete, ""
	default:
		return Incomplete, s
	}
}

// wfHeader starts tamarin's wellformedness report.
var wfHeader = []byte("WARNING: the following wellformedness checks failed!")

// parseWellformedness reads the report's sections: a title, a line of
// '=' under it, then the body up to the next title or the comment's end.
func parseWellformedness(out []byte) []WFCheck {
	i := bytes.LastIndex(out, wfHeader)
	if i < 0 {
		return nil
	}
	rest := out[i+len(wfHeader):]
	if j := bytes.Index(rest, []byte("*/")); j >= 0 {
		rest = rest[:j]
	}
	lines := strings.Split(string(rest), "\n")
	var checks []WFCheck
	var body []string
	flush := func() {
		if len(checks) > 0 {
			checks[len(checks)-1].Text = strings.Join(body, "\n")
		}
		body = nil
	}
	for k := 0; k < len(lines); k++ {
		line := strings.TrimSpace(lines[k])
		if line != "" && !underline.MatchString(line) && k+1 < len(lines) && underline.MatchString(lines[k+1]) {
			flush()
			checks = append(checks, WFCheck{Title: line, Error: !strings.HasSuffix(line, derivationChecks)})
			k++ // the underline
			continue
		}
		if line == "" || len(checks) == 0 {
			continue
		}
		body = append(body, line)
	}
	flush()
	return checks
}

// Lookup returns the summary of lemma on side, if the output has one.
func (o *Output) Lookup(lemma string, side Side) (Summary, bool) {
	for _, s := range o.Lemmas {
		if s.Lemma == lemma && s.Side == side {
			return s, true
		}
	}
	return Summary{}, false
}
