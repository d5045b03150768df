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
		summary: "a Tamarin theory (--theory, default the world's) plus an exists-trace lemma that this run is possible in it",
		write:   writeSpthyExport,
	})
}

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
	if err := export.Spthy(w, th, src.trace, name); err != nil {
		return fmt.Errorf("the trace does not fit theory %s: %w", src.theory, err)
	}
	return nil
}
