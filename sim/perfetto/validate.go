package perfetto

// This file checks a JSON trace against the rules of the trace-event
// format that viewers rely on, so tests (ours and the command line's) can
// tell a well-formed export from one that merely parses. It checks the
// general format plus the conventions this exporter promises (every
// track named).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Validate reports the first way data breaks the trace-event format:
//
//   - a JSON object with a "traceEvents" array, "displayTimeUnit" "ms" or
//     "ns" if present, nothing after the object;
//   - every event has a known "ph", a non-empty "name", a finite "ts" >= 0
//     in microseconds, and integer "pid" and "tid";
//   - "X" has "dur" >= 0; "i"/"I" has "s" of "g", "p" or "t" if any;
//   - async "b"/"e"/"n" have "cat" and "id"; per (pid, cat, id) begins and
//     ends nest and match, an end never precedes its begin, and nothing is
//     left open; "B"/"E" nest per thread the same way;
//   - "M" is one of the known metadata names with its argument
//     (process_name/thread_name: args.name string; *_sort_index:
//     args.sort_index number);
//   - every process and every thread that has events is named by a "M"
//     event.
func Validate(data []byte) error {
	var doc struct {
		TraceEvents     []map[string]json.RawMessage `json:"traceEvents"`
		DisplayTimeUnit *string                      `json:"displayTimeUnit"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("perfetto: not a trace object: %v", err)
	}
	if dec.More() {
		return errors.New("perfetto: data after the trace object")
	}
	if doc.TraceEvents == nil {
		return errors.New("perfetto: no traceEvents array")
	}
	if u := doc.DisplayTimeUnit; u != nil && *u != "ms" && *u != "ns" {
		return fmt.Errorf("perfetto: displayTimeUnit %q, want ms or ns", *u)
	}
	v := validator{open: map[asyncKey][]float64{}, stacks: map[[2]int64][]float64{},
		pidNamed: map[int64]bool{}, tidNamed: map[[2]int64]bool{}, pidUsed: map[int64]bool{}, tidUsed: map[[2]int64]bool{}}
	for i, raw := range doc.TraceEvents {
		if err := v.event(raw); err != nil {
			return fmt.Errorf("perfetto: traceEvents[%d]: %w", i, err)
		}
	}
	return v.done()
}

type asyncKey struct {
	pid     int64
	cat, id string
}

type validator struct {
	open     map[asyncKey][]float64 // begin timestamps of open async spans
	stacks   map[[2]int64][]float64 // open B slices per thread
	pidNamed map[int64]bool
	tidNamed map[[2]int64]bool
	pidUsed  map[int64]bool
	tidUsed  map[[2]int64]bool
}

var knownPh = map[string]bool{
	"B": true, "E": true, "X": true, "i": true, "I": true, "C": true,
	"b": true, "e": true, "n": true, "S": true, "T": true, "p": true, "F": true,
	"s": true, "t": true, "f": true, "P": true, "O": true, "N": true, "D": true,
	"M": true, "V": true, "v": true, "R": true, "c": true, "(": true, ")": true,
}

func str(raw map[string]json.RawMessage, key string) (string, bool) {
	var s string
	b, ok := raw[key]
	if !ok || json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

func num(raw map[string]json.RawMessage, key string) (float64, bool) {
	var f float64
	b, ok := raw[key]
	if !ok || json.Unmarshal(b, &f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func integer(raw map[string]json.RawMessage, key string) (int64, bool) {
	var n int64
	b, ok := raw[key]
	if !ok || json.Unmarshal(b, &n) != nil {
		return 0, false
	}
	return n, true
}

// id reads an async id, which may be a string or a number.
func id(raw map[string]json.RawMessage) (string, bool) {
	b, ok := raw["id"]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s, s != ""
	}
	var n json.Number
	if json.Unmarshal(b, &n) == nil {
		return "#" + n.String(), true
	}
	return "", false
}

func (v *validator) event(raw map[string]json.RawMessage) error {
	ph, ok := str(raw, "ph")
	if !ok || !knownPh[ph] {
		return fmt.Errorf("missing or unknown ph %s", raw["ph"])
	}
	name, ok := str(raw, "name")
	if !ok || name == "" {
		return errors.New("missing name")
	}
	ts, ok := num(raw, "ts")
	if !ok || ts < 0 {
		return fmt.Errorf("%s %q: missing or negative ts", ph, name)
	}
	pid, ok1 := integer(raw, "pid")
	tid, ok2 := integer(raw, "tid")
	if !ok1 || !ok2 {
		return fmt.Errorf("%s %q: pid and tid must be integers", ph, name)
	}
	thread := [2]int64{pid, tid}
	if ph == "M" {
		return v.meta(raw, name, thread)
	}
	v.pidUsed[pid] = true
	v.tidUsed[thread] = true
	switch ph {
	case "X":
		if d, ok := num(raw, "dur"); !ok || d < 0 {
			return fmt.Errorf("X %q: missing or negative dur", name)
		}
	case "i", "I":
		if _, has := raw["s"]; has {
			if s, _ := str(raw, "s"); s != "g" && s != "p" && s != "t" {
				return fmt.Errorf("instant %q: scope %s, want g, p or t", name, raw["s"])
			}
		}
	case "b", "e", "n":
		cat, ok := str(raw, "cat")
		if !ok || cat == "" {
			return fmt.Errorf("async %s %q: missing cat", ph, name)
		}
		sid, ok := id(raw)
		if !ok {
			return fmt.Errorf("async %s %q: missing id", ph, name)
		}
		k := asyncKey{pid, cat, sid}
		switch ph {
		case "b":
			v.open[k] = append(v.open[k], ts)
		case "e":
			st := v.open[k]
			if len(st) == 0 {
				return fmt.Errorf("async end %q (cat %s id %s) without a begin", name, cat, sid)
			}
			if ts < st[len(st)-1] {
				return fmt.Errorf("async end %q (cat %s id %s) at %v before its begin at %v", name, cat, sid, ts, st[len(st)-1])
			}
			v.open[k] = st[:len(st)-1]
		}
	case "B":
		v.stacks[thread] = append(v.stacks[thread], ts)
	case "E":
		st := v.stacks[thread]
		if len(st) == 0 || ts < st[len(st)-1] {
			return fmt.Errorf("E %q without a matching earlier B on pid %d tid %d", name, pid, tid)
		}
		v.stacks[thread] = st[:len(st)-1]
	}
	return nil
}

func (v *validator) meta(raw map[string]json.RawMessage, name string, thread [2]int64) error {
	var args map[string]json.RawMessage
	if b, ok := raw["args"]; !ok || json.Unmarshal(b, &args) != nil {
		return fmt.Errorf("metadata %q without args", name)
	}
	switch name {
	case "process_name", "thread_name":
		if s, ok := str(args, "name"); !ok || s == "" {
			return fmt.Errorf("metadata %q without args.name", name)
		}
		if name == "process_name" {
			v.pidNamed[thread[0]] = true
		} else {
			v.tidNamed[thread] = true
		}
	case "process_sort_index", "thread_sort_index":
		if _, ok := num(args, "sort_index"); !ok {
			return fmt.Errorf("metadata %q without args.sort_index", name)
		}
	case "process_labels", "process_uptime_seconds", "num_cpus", "trace_buffer_overrun":
	default:
		return fmt.Errorf("unknown metadata event %q", name)
	}
	return nil
}

func (v *validator) done() error {
	// Every problem is collected and the smallest reported, so the answer
	// does not depend on map order.
	var errs []string
	for k, st := range v.open {
		if len(st) > 0 {
			errs = append(errs, fmt.Sprintf("async span cat %s id %s on pid %d never ends", k.cat, k.id, k.pid))
		}
	}
	for th, st := range v.stacks {
		if len(st) > 0 {
			errs = append(errs, fmt.Sprintf("B slice on pid %d tid %d never ends", th[0], th[1]))
		}
	}
	for pid := range v.pidUsed {
		if !v.pidNamed[pid] {
			errs = append(errs, fmt.Sprintf("pid %d has events but no process_name", pid))
		}
	}
	for th := range v.tidUsed {
		if !v.tidNamed[th] {
			errs = append(errs, fmt.Sprintf("pid %d tid %d has events but no thread_name", th[0], th[1]))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New("perfetto: " + slices.Min(errs))
}
