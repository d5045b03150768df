package main

// This file is `edgelab run`: one world, one seed, optionally a plan, with
// a short summary that ends in the trace's SHA-256 and, on request, the
// trace itself as NDJSON.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/edgelab/edgelab/sim"
)

func init() {
	register(&command{
		name:    "run",
		summary: "run one world: --world NAME [--seed N] [--plan FILE] [--trace FILE]",
		run:     runCommand,
	})
}

func runCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	worldName := fs.String("world", "", "world to run (default: the plan's world)")
	seedFlag := fs.String("seed", "", "seed (default: the plan's, else the world's)")
	planFile := fs.String("plan", "", "plan file (JSON)")
	traceFile := fs.String("trace", "", "write the NDJSON trace to this file")
	if err := parseFlags(fs, args); err != nil {
		return fail(stderr, "run", 2, err)
	}
	if fs.NArg() > 0 {
		return fail(stderr, "run", 2, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	var plan *sim.Plan
	if *planFile != "" {
		data, err := os.ReadFile(*planFile)
		if err != nil {
			return fail(stderr, "run", 2, err)
		}
		if plan, err = sim.ParsePlan(data); err != nil {
			return fail(stderr, "run", 2, fmt.Errorf("%s: %w", *planFile, err))
		}
	}
	name := *worldName
	if plan != nil && plan.World != "" {
		if name == "" {
			name = plan.World
		} else if name != plan.World {
			return fail(stderr, "run", 2, fmt.Errorf("--world %s but the plan is for world %s", name, plan.World))
		}
	}
	if name == "" {
		return fail(stderr, "run", 2, errors.New("missing --world"))
	}
	w, err := lookupWorld(name)
	if err != nil {
		return fail(stderr, "run", 2, err)
	}
	seed := w.seed
	if plan != nil && plan.Seed != nil {
		seed = *plan.Seed
	}
	if *seedFlag != "" {
		if seed, err = strconv.ParseUint(*seedFlag, 0, 64); err != nil {
			return fail(stderr, "run", 2, fmt.Errorf("invalid --seed %q: want an unsigned integer", *seedFlag))
		}
	}
	if plan == nil {
		if plan, err = w.plan(); err != nil {
			return fail(stderr, "run", 1, fmt.Errorf("world %s: default plan: %w", w.name, err))
		}
	}
	o, err := w.run(seed, plan)
	if err != nil {
		var pe *sim.PlanError
		if errors.As(err, &pe) {
			return fail(stderr, "run", 2, err)
		}
		return fail(stderr, "run", 1, fmt.Errorf("world %s seed %d: %w", w.name, seed, err))
	}
	if *traceFile != "" {
		if err := writeTrace(*traceFile, o); err != nil {
			return fail(stderr, "run", 1, err)
		}
	}
	verdict := "PASS"
	if !o.pass {
		verdict = "FAIL: " + o.why
	}
	fmt.Fprintf(stdout, "world %s seed %d: %s\n", w.name, seed, verdict)
	fmt.Fprintln(stdout, o.figures)
	for _, d := range o.details {
		fmt.Fprintln(stdout, d)
	}
	fmt.Fprintf(stdout, "trace sha256: %s\n", o.trace.HashHex())
	if !o.pass {
		return 1
	}
	return 0
}

func writeTrace(path string, o *outcome) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := o.trace.WriteNDJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
