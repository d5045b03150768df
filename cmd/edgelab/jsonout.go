package main

// This file is what --json prints, for every command that has it: one
// JSON document on stdout, numbers as numbers, so a script reads fields
// instead of parsing a summary line. The exit status is the same as
// without --json.

import (
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"
)

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// figuresLine renders figures back as a line, in the world's glossary
// order (then name order for any the glossary lacks).
func figuresLine(world string, figs map[string]int64) string {
	var parts []string
	done := map[string]bool{}
	for _, t := range glossaryOf(world) {
		if v, ok := figs[t.Name]; ok {
			parts = append(parts, t.Name+"="+strconv.FormatInt(v, 10))
			done[t.Name] = true
		}
	}
	var rest []string
	for k := range figs {
		if !done[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		parts = append(parts, k+"="+strconv.FormatInt(figs[k], 10))
	}
	return strings.Join(parts, " ")
}

// runJSON is `edgelab run --json`.
type runJSON struct {
	World       string           `json:"world"`
	Seed        uint64           `json:"seed"`
	Bugs        []string         `json:"bugs,omitempty"`
	Pass        bool             `json:"pass"`
	Failure     string           `json:"failure,omitempty"`
	Figures     map[string]int64 `json:"figures"`
	Details     []string         `json:"details,omitempty"`
	TraceEvents int              `json:"trace_events"`
	TraceSHA256 string           `json:"trace_sha256"`
	Replay      string           `json:"replay,omitempty"`
}
