// Package replay reads and writes replay files: everything that decides a
// run of a world — the world, the seed, the plan and the run's options
// (the seeded bugs switched on) — with the SHA-256 of the trace it
// produced and, optionally, the failure in words. `edgelab replay FILE`
// reruns it and compares the trace hash, so a replay file is both a
// self-contained reproducer and a determinism check.
//
// The format is one JSON object:
//
//	{
//	  "plan": { ... a sim.Plan, with "world" and "seed" set ... },
//	  "options": {"bugs": ["relay-forwards-xff"]},   (optional)
//	  "trace_sha256": "64 lowercase hex digits",
//	  "failure": "one line, optional"
//	}
package replay

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/edgelab/edgelab/internal/atomicfile"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/world"
)

// File is a replay file's content.
type File struct {
	// Plan is what to run; it names the world and the seed.
	Plan *sim.Plan
	// Options are the run's options beyond the plan.
	Options world.Options
	// TraceSHA256 is the hex SHA-256 of the trace the plan produced.
	TraceSHA256 string
	// Failure says what went wrong, if anything was recorded.
	Failure string
}

type wire struct {
	Plan        json.RawMessage `json:"plan"`
	Options     *world.Options  `json:"options,omitempty"`
	TraceSHA256 string          `json:"trace_sha256"`
	Failure     string          `json:"failure,omitempty"`
}

// Marshal encodes f as indented JSON ending in a newline. The plan must
// name its world and seed, since a replay needs both.
func (f *File) Marshal() ([]byte, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	plan, err := json.Marshal(f.Plan)
	if err != nil {
		return nil, fmt.Errorf("replay: encoding the plan: %w", err)
	}
	wf := wire{Plan: plan, TraceSHA256: f.TraceSHA256, Failure: f.Failure}
	if len(f.Options.Bugs) > 0 {
		wf.Options = &f.Options
	}
	b, err := json.MarshalIndent(wf, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func (f *File) check() error {
	switch {
	case f.Plan == nil:
		return errors.New("replay: missing plan")
	case f.Plan.World == "":
		return errors.New("replay: plan.world: missing")
	case f.Plan.Seed == nil:
		return errors.New("replay: plan.seed: missing")
	}
	for _, b := range f.Options.Bugs {
		if b == "" {
			return errors.New("replay: options.bugs: empty bug name")
		}
	}
	if b, err := hex.DecodeString(f.TraceSHA256); err != nil || len(b) != 32 || hex.EncodeToString(b) != f.TraceSHA256 {
		return fmt.Errorf("replay: trace_sha256: want 64 lowercase hex digits, got %q", f.TraceSHA256)
	}
	return nil
}

// Parse decodes a replay file strictly: unknown fields, trailing data, an
// invalid plan or a malformed hash are errors, each in one line.
func Parse(data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w wire
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("replay: %v", oneLine(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("replay: trailing data after the object")
	}
	if len(w.Plan) == 0 || string(w.Plan) == "null" {
		return nil, errors.New("replay: missing plan")
	}
	p, err := sim.ParsePlan(w.Plan)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	f := &File{Plan: p, TraceSHA256: w.TraceSHA256, Failure: w.Failure}
	if w.Options != nil {
		f.Options = *w.Options
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

func oneLine(err error) string {
	b := []byte(err.Error())
	return string(bytes.ReplaceAll(b, []byte("\n"), []byte(" ")))
}

// Run reruns f in w (the world f's plan names) and returns the outcome
// and whether its trace hash matches the recorded one.
func (f *File) Run(w world.World) (o *world.Outcome, matches bool, err error) {
	if f.Plan.World != w.Name() {
		return nil, false, fmt.Errorf("replay: plan for world %s, not %s", f.Plan.World, w.Name())
	}
	o, err = world.Run(w, *f.Plan.Seed, f.Plan, f.Options)
	if err != nil {
		return nil, false, err
	}
	return o, o.Trace.HashHex() == f.TraceSHA256, nil
}

// Read reads and parses the replay file at path.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Write writes f to path atomically (a temporary file renamed into place),
// so a sweep interrupted mid-write leaves no half file behind.
func Write(path string, f *File) error {
	b, err := f.Marshal()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b)
}

// FileName is the conventional name of the replay file for a failing run
// of world with seed: edgelab-fail-<world>-<seed>.json.
func FileName(world string, seed uint64) string {
	return "edgelab-fail-" + world + "-" + strconv.FormatUint(seed, 10) + ".json"
}

// Command is the command line that replays the file at path.
func Command(path string) string {
	return "edgelab replay " + shellQuote(path)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || bytes.ContainsRune([]byte("-_./+,:=@%"), r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + string(bytes.ReplaceAll([]byte(s), []byte("'"), []byte(`'\''`))) + "'"
}
