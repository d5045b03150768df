package main

// This file is `edgelab prove --mutants`: apply every theory mutant in
// tamarin/theories/testdata/mutants to its theory and confirm it falsifies
// the lemmas it targets. A mutant whose target survives fails the run;
// a lemma that survives every mutant aimed at it is reported as vacuous.

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/prove"
)

type proveMutantJSON struct {
	Mutant   string            `json:"mutant"`
	Theory   string            `json:"theory"`
	Why      string            `json:"why"`
	Survived bool              `json:"survived"`
	Targets  []proveTargetJSON `json:"targets"`
	Helpers  []proveResultJSON `json:"helpers"`
	WF       []proveWFJSON     `json:"wellformedness"`
	Seconds  float64           `json:"seconds"`
}

type proveTargetJSON struct {
	Lemma   string            `json:"lemma"`
	Killed  bool              `json:"killed"`
	Alone   bool              `json:"alone"`
	Results []proveResultJSON `json:"results"`
}

type proveCoverageJSON struct {
	Theory  string   `json:"theory"`
	Lemma   string   `json:"lemma"`
	Aimed   []string `json:"aimed"`
	Killed  []string `json:"killed"`
	Vacuous bool     `json:"vacuous"`
}

// proveMutants runs the mutants of theories (those targeting lemma, if
// set) and reports; it returns exitFailed if a mutant survived.
func proveMutants(ctx context.Context, w io.Writer, asJSON bool, mutants []prove.Mutant, theories []tamarin.Theory, lemma string, opts prove.Options, doc *proveJSON) (int, error) {
	say := func(format string, args ...any) {
		if !asJSON {
			fmt.Fprintf(w, format, args...)
		}
	}
	sources := map[string][]byte{}
	var names []string
	for _, t := range theories {
		sources[t.Name] = t.Source
		names = append(names, t.Name)
	}
	status := exitOK
	var reports []*prove.MutantReport
	killed, survived := 0, 0
	start := time.Now()
	opts.Progress = nil
	for _, m := range mutants {
		src, ok := sources[m.Theory]
		if !ok || lemma != "" && !contains(m.Falsifies, lemma) {
			continue
		}
		say("mutant %s  falsifies %s: %s\n", m.ID(), strings.Join(m.Falsifies, ", "), m.Why)
		t0 := time.Now()
		rep, err := prove.ProveMutant(ctx, m, src, opts)
		if err != nil {
			return exitEnv, err
		}
		reports = append(reports, rep)
		mj := proveMutantJSON{Mutant: m.ID(), Theory: m.Theory, Why: m.Why, Survived: rep.Survived(),
			Targets: []proveTargetJSON{}, Helpers: []proveResultJSON{}, WF: []proveWFJSON{}, Seconds: time.Since(t0).Seconds()}
		for _, h := range rep.Helpers {
			mj.Helpers = append(mj.Helpers, resultJSON(h))
			if h.Got != prove.Verified {
				say("%s  (helper)\n", resultLine(h, false))
			}
		}
		for _, tg := range rep.Targets {
			tj := proveTargetJSON{Lemma: tg.Lemma, Killed: tg.Killed, Alone: tg.Alone, Results: []proveResultJSON{}}
			for _, r := range tg.Results {
				tj.Results = append(tj.Results, resultJSON(r))
				verdict := "killed"
				if !tg.Killed {
					verdict = "SURVIVED"
					if r.Detail != "" {
						verdict += ": " + r.Detail
					}
				}
				if len(r.RestsOn) > 0 {
					verdict += "; rests on " + restsOn(r.RestsOn)
				}
				if !tg.Alone {
					verdict += " (proved with the helpers as written: alone it gave no verdict)"
				}
				say("%s  %s\n", resultLine(r, false), verdict)
			}
			mj.Targets = append(mj.Targets, tj)
		}
		for _, c := range rep.Wellformedness {
			mj.WF = append(mj.WF, proveWFJSON{Title: c.Title, Text: c.Text, Error: c.Error})
			say("%s  wellformedness (of the mutant): %s\n", m.ID(), c.Title)
		}
		if rep.Survived() {
			survived++
			status = exitFailed
		} else {
			killed++
		}
		doc.Mutants = append(doc.Mutants, mj)
	}
	for _, c := range prove.Coverage(reports, theories) {
		doc.Coverage = append(doc.Coverage, proveCoverageJSON{Theory: c.Theory, Lemma: c.Lemma, Aimed: nonNil(c.Aimed), Killed: nonNil(c.Killed), Vacuous: c.Vacuous()})
		switch {
		case lemma != "" && c.Lemma != lemma:
		case c.Vacuous():
			say("vacuous: %s %s  survived every mutant aimed at it: %s\n", c.Theory, c.Lemma, strings.Join(c.Aimed, ", "))
		case len(c.Aimed) == 0:
			say("untested: %s %s  no mutant aims at it\n", c.Theory, c.Lemma)
		default:
			say("covered: %s %s  falsified by %d of %d mutants aimed at it (%s)\n", c.Theory, c.Lemma, len(c.Killed), len(c.Aimed), strings.Join(c.Killed, ", "))
		}
	}
	say("mutants: %d killed, %d survived  time=%s  (theories: %s)\n", killed, survived, time.Since(start).Round(10*time.Millisecond), strings.Join(names, ", "))
	return status, nil
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
