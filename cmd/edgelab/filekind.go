package main

// This file tells the kinds of file the lab reads and writes apart, so a
// command given the wrong one says what it got and what it wanted instead
// of a decoder's complaint about line 1. Each reader here tries its own
// format first and only sniffs when that fails.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/replay"
	"github.com/edgelab/edgelab/sim/sweep"
)

// fileKind is one kind of file the lab knows.
type fileKind string

const (
	kindUnknown  fileKind = ""
	kindEmpty    fileKind = "an empty file"
	kindTrace    fileKind = "an NDJSON trace (edgelab run --trace, export --format ndjson)"
	kindJSON     fileKind = "a JSON trace document (edgelab export --format json)"
	kindPerfetto fileKind = "a Perfetto timeline (edgelab export --format perfetto)"
	kindReplay   fileKind = "a replay file (written by a failing run or sweep)"
	kindReport   fileKind = "a sweep report (edgelab sweep --json)"
	kindPlan     fileKind = "a plan (JSON: world, seed, knobs, faults)"
	kindTheory   fileKind = "a Tamarin theory (.spthy)"
)

// sniff guesses the kind of data from its first JSON value's keys.
func sniff(data []byte) fileKind {
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return kindEmpty
	case bytes.HasPrefix(trimmed, []byte("theory ")):
		return kindTheory
	case trimmed[0] != '{':
		return kindUnknown
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	var first map[string]json.RawMessage
	if err := dec.Decode(&first); err != nil {
		return kindUnknown
	}
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := first[k]; !ok {
				return false
			}
		}
		return true
	}
	switch {
	case has("seq", "kind", "node"):
		return kindTrace
	case has("traceEvents"):
		return kindPerfetto
	case has("events", "trace_sha256"):
		return kindJSON
	case has("plan", "trace_sha256"):
		return kindReplay
	case has("results", "covered"):
		return kindReport
	case has("world") || has("knobs") || has("faults") || has("seed"):
		return kindPlan
	}
	return kindUnknown
}

// wrongKind is the error for a file of the wrong kind, or, when its kind
// cannot be told, the reader's own error.
func wrongKind(file string, data []byte, want fileKind, readErr error) error {
	got := sniff(data)
	if got == kindUnknown || got == want {
		return fmt.Errorf("%s: %w", file, readErr)
	}
	return fmt.Errorf("%s is %s, not %s", file, got, want)
}

// readInput reads a whole input file.
func readInput(file string) ([]byte, error) {
	return os.ReadFile(file)
}

// readTrace reads an NDJSON trace.
func readTrace(file string) (*model.Trace, error) {
	data, err := readInput(file)
	if err != nil {
		return nil, err
	}
	tr, err := model.ReadNDJSON(bytes.NewReader(data))
	if err == nil && len(tr.Events) == 0 && len(bytes.TrimSpace(data)) == 0 {
		err = errors.New("no events")
	}
	if err != nil {
		return nil, wrongKind(file, data, kindTrace, err)
	}
	return tr, nil
}

// readReplay reads a replay file.
func readReplay(file string) (*replay.File, error) {
	data, err := readInput(file)
	if err != nil {
		return nil, err
	}
	rf, err := replay.Parse(data)
	if err != nil {
		return nil, wrongKind(file, data, kindReplay, err)
	}
	return rf, nil
}

// readReport reads a sweep report.
func readReport(file string) (*sweep.Report, error) {
	data, err := readInput(file)
	if err != nil {
		return nil, err
	}
	rep, err := sweep.ReadReport(bytes.NewReader(data))
	if err != nil {
		return nil, wrongKind(file, data, kindReport, err)
	}
	return rep, nil
}

// readPlan reads a plan file.
func readPlan(file string) (*plan.Plan, []byte, error) {
	data, err := readInput(file)
	if err != nil {
		return nil, nil, err
	}
	p, err := plan.Parse(data)
	if err != nil {
		return nil, nil, wrongKind(file, data, kindPlan, err)
	}
	return p, data, nil
}
