package main

// This file is `edgelab all`, what a bare `edgelab` runs: every world on
// its default seed and plan, one line each.

import (
	"errors"
	"flag"
	"fmt"
	"io"
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
	names := worldNames()
	if len(names) == 0 {
		return fail(stderr, "all", 1, errors.New("no worlds registered"))
	}
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	status := 0
	for _, n := range names {
		w := worlds[n]
		plan, err := w.plan()
		var o *outcome
		if err == nil {
			o, err = w.run(w.seed, plan)
		}
		if err != nil {
			fmt.Fprintf(stdout, "%-*s  ERROR  seed=%d  %v\n", width, n, w.seed, err)
			status = 1
			continue
		}
		verdict := "PASS"
		if !o.pass {
			verdict = "FAIL"
			status = 1
		}
		fmt.Fprintf(stdout, "%-*s  %s  seed=%d  %s  sha256:%s\n", width, n, verdict, w.seed, o.figures, o.trace.HashHex())
		if !o.pass {
			fmt.Fprintf(stdout, "%-*s        %s\n", width, "", o.why)
		}
	}
	return status
}
