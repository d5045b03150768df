package main

// This file is `edgelab export`: a trace in another format. The trace comes
// from a run (--world/--seed/--plan, as for run), a replay file (--replay)
// or an NDJSON trace file (--trace). Formats register themselves in
// exportFormats, so a new one (Tamarin, say) is one file with an init
// that calls registerExportFormat.

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/perfetto"
	"github.com/edgelab/edgelab/sim/world"
)

// exportSource is what a format gets: the trace and, when it came from a
// run, what ran.
type exportSource struct {
	// world and seed are "" and nil for a trace read from a file.
	world string
	seed  *uint64
	plan  *sim.Plan
	trace *model.Trace
	// theory names the embedded Tamarin theory formats such as spthy use:
	// --theory, else the theory of the world that ran ("" for none).
	theory string
	// lemmaFacts is --lemma-facts: how many facts one exists-trace lemma
	// of the spthy format takes (0: the whole run in one).
	lemmaFacts int
}

// exportFormat is one output format of `edgelab export`.
type exportFormat struct {
	name    string
	summary string
	write   func(w io.Writer, src *exportSource) error
}

var exportFormats = map[string]*exportFormat{}

func registerExportFormat(f *exportFormat) {
	if _, dup := exportFormats[f.name]; dup {
		panic("edgelab: export format registered twice: " + f.name)
	}
	exportFormats[f.name] = f
}

func exportFormatNames() []string {
	names := make([]string, 0, len(exportFormats))
	for n := range exportFormats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func init() {
	register(&command{
		name:    "export",
		summary: "export a trace: --format FMT [-o FILE] (--world NAME [--seed N] [--plan FILE] | --replay FILE | TRACE)",
		run:     exportCommand,
	})
	registerExportFormat(&exportFormat{
		name:    "perfetto",
		summary: "Chrome trace-event JSON for ui.perfetto.dev: a track per node, spans for messages and HTTP exchanges",
		write: func(w io.Writer, src *exportSource) error {
			return perfetto.Write(w, src.trace, perfetto.Options{Meta: src.meta()})
		},
	})
	registerExportFormat(&exportFormat{name: "json", summary: "one JSON document: world, seed, trace hash and the events", write: writeJSONExport})
	registerExportFormat(&exportFormat{
		name:    "ndjson",
		summary: "the canonical NDJSON trace (what run --trace writes)",
		write:   func(w io.Writer, src *exportSource) error { return src.trace.WriteNDJSON(w) },
	})
}

func (src *exportSource) meta() map[string]string {
	m := map[string]string{"trace_sha256": src.trace.HashHex()}
	if src.world != "" {
		m["world"] = src.world
	}
	if src.seed != nil {
		m["seed"] = fmt.Sprint(*src.seed)
	}
	return m
}

// writeJSONExport writes {"world", "seed", "trace_sha256", "events"}.
func writeJSONExport(w io.Writer, src *exportSource) error {
	doc := struct {
		World       string        `json:"world,omitempty"`
		Seed        *uint64       `json:"seed,omitempty"`
		TraceSHA256 string        `json:"trace_sha256"`
		Events      []model.Event `json:"events"`
	}{src.world, src.seed, src.trace.HashHex(), src.trace.Events}
	if doc.Events == nil {
		doc.Events = []model.Event{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&doc)
}

func exportCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	format := fs.String("format", "", "output format: "+strings.Join(exportFormatNames(), ", "))
	out := fs.String("o", "-", "output file (- for stdout)")
	worldName := fs.String("world", "", "run this world")
	seedFlag := fs.String("seed", "", "seed of the run")
	planFile := fs.String("plan", "", "plan of the run (JSON)")
	replayFile := fs.String("replay", "", "rerun this replay file")
	traceFile := fs.String("trace", "", "read this NDJSON trace instead of running (or give it as the argument)")
	theory := fs.String("theory", "", "embedded Tamarin theory, for --format spthy (default: the world's)")
	lemmaFacts := fs.Int("lemma-facts", defaultLemmaFacts, "for --format spthy: split the run into lemmas of about this many facts (0: one lemma)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "export", err)
	}
	if len(pos) == 1 && *traceFile == "" {
		*traceFile = pos[0]
	} else if len(pos) > 0 {
		return fail(stderr, "export", exitUsage, fmt.Errorf("unexpected argument %q", pos[len(pos)-1]))
	}
	f, ok := exportFormats[*format]
	if !ok {
		if *format == "" {
			return fail(stderr, "export", exitUsage, fmt.Errorf("missing --format (one of %s)", strings.Join(exportFormatNames(), ", ")))
		}
		return fail(stderr, "export", exitUsage, fmt.Errorf("unknown format %q (one of %s)", *format, strings.Join(exportFormatNames(), ", ")))
	}
	runFlags := *worldName != "" || *seedFlag != "" || *planFile != ""
	sources := 0
	for _, on := range []bool{runFlags, *replayFile != "", *traceFile != ""} {
		if on {
			sources++
		}
	}
	if sources != 1 {
		return fail(stderr, "export", exitUsage, errors.New("give one source: --world/--seed/--plan, --replay or --trace"))
	}
	src, code, err := exportInput(*worldName, *seedFlag, *planFile, *replayFile, *traceFile)
	if err != nil {
		return fail(stderr, "export", code, err)
	}
	if *theory != "" {
		src.theory = *theory
	}
	if *lemmaFacts < 0 {
		return fail(stderr, "export", exitUsage, fmt.Errorf("invalid --lemma-facts %d: want 0 (one lemma) or more", *lemmaFacts))
	}
	src.lemmaFacts = *lemmaFacts
	write := func(w io.Writer) error { return f.write(w, src) }
	if *out == "-" {
		err = write(stdout)
	} else {
		err = writeFile(*out, write)
	}
	if err != nil {
		// Not the file: the trace does not fit the format (a ping trace
		// as a Tamarin theory, say).
		return fail(stderr, "export", outputCode(err, exitUsage), err)
	}
	return exitOK
}

// exportInput produces the trace to export from exactly one source.
func exportInput(worldName, seedFlag, planFile, replayFile, traceFile string) (*exportSource, int, error) {
	if traceFile != "" {
		tr, err := readTrace(traceFile)
		if err != nil {
			return nil, exitUsage, err
		}
		return &exportSource{trace: tr}, 0, nil
	}
	var rs *runSpec
	if replayFile != "" {
		var err error
		if _, rs, err = replaySpec(replayFile); err != nil {
			return nil, exitUsage, err
		}
	} else {
		var code int
		var err error
		if rs, code, err = resolveRun(worldName, seedFlag, planFile); err != nil {
			return nil, code, err
		}
	}
	o, code, err := rs.exec()
	if err != nil {
		return nil, code, err
	}
	src := &exportSource{world: rs.w.Name(), seed: &rs.seed, plan: rs.plan, trace: o.Trace}
	if m, ok := rs.w.(world.Modeled); ok {
		src.theory = m.Theory()
	}
	return src, 0, nil
}
