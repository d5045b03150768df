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

// numericFigures reads a world's figures line ("sent=150 answered=141")
// into numbers; fields that are not name=integer are left out.
func numericFigures(line string) map[string]int64 {
	out := map[string]int64{}
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out[k] = n
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// figuresLine renders figures back as a line, in the world's glossary
// order (then name order for any the glossary lacks).
func figuresLine(world string, figs map[string]int64) string {
	var parts []string
	done := map[string]bool{}
	for _, e := range glossaries[world] {
		if v, ok := figs[e[0]]; ok {
			parts = append(parts, e[0]+"="+strconv.FormatInt(v, 10))
			done[e[0]] = true
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
	Pass        bool             `json:"pass"`
	Failure     string           `json:"failure,omitempty"`
	Figures     map[string]int64 `json:"figures"`
	Details     []string         `json:"details,omitempty"`
	TraceEvents int              `json:"trace_events"`
	TraceSHA256 string           `json:"trace_sha256"`
	Replay      string           `json:"replay,omitempty"`
}
