package main

// This file is `edgelab experiment WORLD NAME`: run one of a world's
// experiments (measurements over many runs, such as the OHTTP world's
// linkability curve) with the flags the experiment defines.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/edgelab/edgelab/sim/world"
)

func init() {
	register(&command{
		name:    "experiment",
		summary: "run a world's experiment: WORLD NAME [--out DIR] [its flags]; WORLD alone lists them",
		run:     experimentCommand,
	})
}

func experimentCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fail(stderr, "experiment", 2, errors.New("usage: edgelab experiment WORLD NAME [--out DIR] [flags]"))
	}
	w, err := lookupWorld(args[0])
	if err != nil {
		return fail(stderr, "experiment", 2, err)
	}
	var exps []world.Experiment
	if e, ok := w.(world.Experimenter); ok {
		exps = e.Experiments()
	}
	if len(exps) == 0 {
		return fail(stderr, "experiment", 2, fmt.Errorf("world %s has no experiments", w.Name()))
	}
	if len(args) == 1 {
		for _, e := range exps {
			fmt.Fprintf(stdout, "%s\t%s\n", e.Name, e.Summary)
		}
		return 0
	}
	var names []string
	for _, e := range exps {
		names = append(names, e.Name)
		if e.Name != args[1] {
			continue
		}
		fs := flag.NewFlagSet("experiment "+e.Name, flag.ContinueOnError)
		out := fs.String("out", ".", "directory for the experiment's files")
		runIt := e.Bind(fs)
		if err := parseFlags(fs, args[2:]); err != nil {
			return fail(stderr, "experiment", 2, err)
		}
		if fs.NArg() > 0 {
			return fail(stderr, "experiment", 2, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
		}
		if err := runIt(*out, stdout); err != nil {
			return fail(stderr, "experiment", 1, err)
		}
		return 0
	}
	return fail(stderr, "experiment", 2, fmt.Errorf("world %s has no experiment %q (known: %s)", w.Name(), args[1], strings.Join(names, ", ")))
}
