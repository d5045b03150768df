package main

// This file is `edgelab all`, what a bare `edgelab` runs: every world on
// its default seed and plan, one line each.

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/edgelab/edgelab/sim/world"
)

func init() {
	register(&command{
		name:    "all",
		summary: "run every world on its default seed, one line each",
		run:     allCommand,
	})
}

func allCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("all", flag.ContinueOnError)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "all", err)
	}
	if len(pos) > 0 {
		return fail(stderr, "all", exitUsage, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	if len(worlds) == 0 {
		return fail(stderr, "all", exitFailed, errors.New("no worlds"))
	}
	width := 0
	for _, w := range worlds {
		width = max(width, len(w.Name()))
	}
	status := 0
	for _, w := range worlds {
		n, seed := w.Name(), w.DefaultSeed()
		o, err := world.Run(w, seed, w.DefaultPlan(), world.Options{})
		if err != nil {
			fmt.Fprintf(stdout, "%-*s  ERROR  seed=%d  %v\n", width, n, seed, err)
			status = 1
			continue
		}
		verdict := "PASS"
		if !o.Pass() {
			verdict = "FAIL"
			status = 1
		}
		fmt.Fprintf(stdout, "%-*s  %s  seed=%d  %s  sha256:%s\n", width, n, verdict, seed, o.Figures, o.Trace.HashHex())
		if !o.Pass() {
			fmt.Fprintf(stdout, "%-*s        %s\n", width, "", o.Why())
		}
	}
	return status
}
