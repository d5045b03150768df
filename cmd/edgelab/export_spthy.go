package main

// The spthy export format: a trace as a Tamarin theory whose exists-trace
// lemma says the recorded run is possible in the model.

import (
	"errors"
	"fmt"
	"io"

	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/export"
)

func init() {
	registerExportFormat(&exportFormat{
		name:    "spthy",
		summary: "a Tamarin theory (--theory, default the world's) plus exists-trace lemmas that this run is possible in it, in parts of --lemma-facts facts",
		write:   writeSpthyExport,
	})
}

// defaultLemmaFacts is --lemma-facts' default. tamarin-prover's search for
// a run holding given facts grows steeply with their number (a default
// OHTTP run, about 250 facts, does not finish in one lemma), while a part
// of a few exchanges is found in seconds.
const defaultLemmaFacts = 16

func writeSpthyExport(w io.Writer, src *exportSource) error {
	if src.theory == "" {
		return errors.New("no theory: give --theory (the trace's world, if any, names none)")
	}
	th, err := tamarin.Parse(src.theory)
	if err != nil {
		return fmt.Errorf("theory %q: %w", src.theory, err)
	}
	name := src.theory + "_run"
	if src.world != "" && src.seed != nil {
		name = fmt.Sprintf("%s_%s_seed%d", src.theory, src.world, *src.seed)
	}
	if err := export.SpthyParts(w, th, src.trace, name, src.lemmaFacts); err != nil {
		return fmt.Errorf("the trace does not fit theory %s: %w", src.theory, err)
	}
	return nil
}
