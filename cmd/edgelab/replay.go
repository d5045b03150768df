package main

// This file is `edgelab replay FILE`: rerun a replay file (world, seed,
// plan and options, seeded bugs included) and say whether the trace hash
// matches the recorded one. Exit status 0 if it
// does (the failure, if any, reproduces exactly), 1 if it does not, 2 for
// a file that cannot be read or a plan that does not fit the world.

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/edgelab/edgelab/sim/replay"
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
		return fail(stderr, "replay", exitUsage, errors.New("want exactly one replay file"))
	}
	rf, rs, err := replaySpec(files[0])
	if err != nil {
		return fail(stderr, "replay", exitUsage, err)
	}
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
	if got := o.Trace.HashHex(); got != rf.TraceSHA256 {
		fmt.Fprintf(stdout, "trace MISMATCH: recorded sha256 %s, this run %s\n", rf.TraceSHA256, got)
		return exitFailed
	}
	fmt.Fprintln(stdout, "trace matches the recording")
	return exitOK
}

// replaySpec reads a replay file and the run it records.
func replaySpec(path string) (*replay.File, *runSpec, error) {
	rf, err := readReplay(path)
	if err != nil {
		return nil, nil, err
	}
	w, err := lookupWorld(rf.Plan.World)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return rf, specOf(w, rf), nil
}
