package main

// This file is `edgelab shrink FILE`: take a replay file of a failing run
// and shrink its plan with the generic shrinker (sim/world.Shrink): drop
// faults and noise, move knobs toward the bottom of their ranges, while
// the run still fails under the same options (seeded bugs included). The
// shrunk run is written as a replay file of its own, and its replay
// command printed.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/edgelab/edgelab/sim/replay"
	"github.com/edgelab/edgelab/sim/world"
)

func init() {
	register(&command{
		name:    "shrink",
		summary: "shrink the plan of a failing replay file: FILE [-o FILE]",
		run:     shrinkCommand,
	})
}

func shrinkCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shrink", flag.ContinueOnError)
	out := fs.String("o", "", "where to write the shrunk replay file (default: FILE with .shrunk.json)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "shrink", err)
	}
	if len(files) != 1 {
		return fail(stderr, "shrink", exitUsage, errors.New("want exactly one replay file"))
	}
	_, rs, err := replaySpec(files[0])
	if err != nil {
		return fail(stderr, "shrink", exitUsage, err)
	}
	w := rs.w
	s, err := world.Shrink(w, rs.seed, rs.plan, rs.opts)
	if err != nil {
		return fail(stderr, "shrink", exitFailed, err)
	}
	if s.Outcome.Pass() {
		return fail(stderr, "shrink", exitFailed, fmt.Errorf("%s: the run passes; nothing to shrink", files[0]))
	}
	f0, o0 := world.Size(w, rs.plan)
	f1, o1 := world.Size(w, s.Plan)
	fmt.Fprintf(stdout, "world %s seed %d: %s\n", w.Name(), rs.seed, s.Outcome.Why())
	fmt.Fprintf(stdout, "shrunk from %d faults, %s operations to %d faults, %s operations in %d runs\n", f0, opsText(o0), f1, opsText(o1), s.Runs)
	path := *out
	if path == "" {
		path = strings.TrimSuffix(files[0], ".json") + ".shrunk.json"
	}
	if path, err = filepath.Abs(path); err != nil {
		return fail(stderr, "shrink", exitEnv, err)
	}
	shrunk := newRunSpec(w, rs.seed, s.Plan)
	shrunk.opts = rs.opts
	if err := replay.Write(path, shrunk.replayFile(s.Outcome)); err != nil {
		return fail(stderr, "shrink", exitEnv, err)
	}
	fmt.Fprintf(stdout, "replay: %s\n", replay.Command(path))
	return exitOK
}
