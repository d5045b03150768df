package main

// This file is `edgelab replay FILE`: rerun the plan of a replay file and
// say whether the trace hash matches the recorded one. Exit status 0 if it
// does (the failure, if any, reproduces exactly), 1 if it does not, 2 for
// a file that cannot be read or a plan that does not fit the world.

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

func init() {
	register(&command{
		name:    "replay",
		summary: "rerun a replay file and compare trace hashes: FILE [--trace FILE] [--perfetto FILE]",
		run:     replayCommand,
	})
}

func replayCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	traceFile := fs.String("trace", "", "write the NDJSON trace of the rerun to this file")
	perfettoFile := fs.String("perfetto", "", "write the rerun's Perfetto timeline to this file")
	files, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "replay", err)
	}
	if len(files) != 1 {
		return fail(stderr, "replay", 2, errors.New("want exactly one replay file"))
	}
	rf, err := readReplay(files[0])
	if err != nil {
		return fail(stderr, "replay", exitUsage, err)
	}
	w, err := lookupWorld(rf.Plan.World)
	if err != nil {
		return fail(stderr, "replay", 2, fmt.Errorf("%s: %w", files[0], err))
	}
	rs := newRunSpec(w, *rf.Plan.Seed, rf.Plan)
	o, code, err := rs.exec()
	if err != nil {
		return fail(stderr, "replay", code, err)
	}
	if err := rs.writeOutputs(o, *traceFile, *perfettoFile); err != nil {
		return fail(stderr, "replay", outputCode(err, exitFailed), err)
	}
	if rf.Failure != "" {
		fmt.Fprintf(stdout, "recorded failure: %s\n", rf.Failure)
	}
	rs.printOutcome(stdout, o)
	if got := o.trace.HashHex(); got != rf.TraceSHA256 {
		fmt.Fprintf(stdout, "trace MISMATCH: recorded sha256 %s, this run %s\n", rf.TraceSHA256, got)
		return 1
	}
	fmt.Fprintln(stdout, "trace matches the recording")
	return 0
}
