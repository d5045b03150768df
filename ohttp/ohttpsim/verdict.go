package ohttpsim

// This file is how properties report.

import "strings"

// Property names.
const (
	PropSymbolic = "symbolic"
	PropSwap     = "swap"
)

// Verdict is one property's outcome on one run.
type Verdict struct {
	Property string
	Pass     bool
	// Why lists the violations found (empty when Pass).
	Why []string
}

func (v Verdict) String() string {
	if v.Pass {
		return v.Property + ": pass"
	}
	return v.Property + ": FAIL: " + strings.Join(v.Why, "; ")
}

// Failed returns the verdicts that failed.
func (r *Result) Failed() []Verdict {
	var out []Verdict
	for _, v := range r.Verdicts {
		if !v.Pass {
			out = append(out, v)
		}
	}
	return out
}

// Err is nil if every verdict passed, else the first failure.
func (r *Result) Err() error {
	for _, v := range r.Verdicts {
		if !v.Pass {
			return verdictError{v}
		}
	}
	return nil
}

type verdictError struct{ v Verdict }

func (e verdictError) Error() string { return e.v.String() }

// violations collects the reasons a property fails, capped so one broken
// run does not produce a wall of text.
type violations struct {
	why []string
	n   int
}

const maxWhy = 5

func (v *violations) add(s string) {
	v.n++
	if len(v.why) < maxWhy {
		v.why = append(v.why, s)
	}
}

func (v *violations) verdict(prop string) Verdict {
	why := v.why
	if v.n > len(why) {
		why = append(why, "and more")
	}
	return Verdict{Property: prop, Pass: v.n == 0, Why: why}
}
