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

const experimentUsage = "usage: edgelab experiment WORLD NAME [--out DIR] [flags]"

func experimentCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintf(stdout, "%s\n\n%s\n", experimentUsage, commands["experiment"].summary)
		return exitOK
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fail(stderr, "experiment", exitUsage, errors.New(experimentUsage))
	}
	w, err := lookupWorld(args[0])
	if err != nil {
		return fail(stderr, "experiment", exitUsage, err)
	}
	var exps []world.Experiment
	if e, ok := w.(world.Experimenter); ok {
		exps = e.Experiments()
	}
	if len(exps) == 0 {
		return fail(stderr, "experiment", exitUsage, fmt.Errorf("world %s has no experiments", w.Name()))
	}
	if len(args) == 1 {
		for _, e := range exps {
			fmt.Fprintf(stdout, "%s\t%s\n", e.Name, e.Summary)
		}
		return exitOK
	}
	var names []string
	for _, e := range exps {
		names = append(names, e.Name)
		if e.Name != args[1] {
			continue
		}
		cmd := "experiment " + w.Name() + " " + e.Name
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		out := fs.String("out", ".", "directory for the experiment's files")
		runIt := e.Bind(fs)
		pos, err := parseArgs(fs, args[2:])
		if err != nil {
			return flagError(stdout, stderr, cmd, err)
		}
		if len(pos) > 0 {
			return fail(stderr, cmd, exitUsage, fmt.Errorf("unexpected argument %q", pos[0]))
		}
		if err := runIt(*out, stdout); err != nil {
			return fail(stderr, cmd, outputCode(err, exitFailed), err)
		}
		return exitOK
	}
	return fail(stderr, "experiment", exitUsage, fmt.Errorf("world %s has no experiment %q (known: %s)", w.Name(), args[1], strings.Join(names, ", ")))
}
