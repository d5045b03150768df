package main

// This file is `edgelab run --explain`: what each counter of a world's
// figures line means, from the world's own Glossary (world.Explained), so
// the words stay beside the code that counts.

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/edgelab/edgelab/sim/world"
)

// explain writes the glossary of w.
func explain(out io.Writer, w world.World) error {
	e, ok := w.(world.Explained)
	if !ok {
		return fmt.Errorf("world %s has no glossary of its figures", w.Name())
	}
	fmt.Fprintf(out, "world %s: the counters of its figures line\n", w.Name())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, t := range e.Glossary() {
		fmt.Fprintf(tw, "  %s\t%s\n", t.Name, t.Meaning)
	}
	return tw.Flush()
}

// glossaryOf is the glossary of the world named name, nil if it has none
// (or is not known).
func glossaryOf(name string) []world.Term {
	w, err := lookupWorld(name)
	if err != nil {
		return nil
	}
	if e, ok := w.(world.Explained); ok {
		return e.Glossary()
	}
	return nil
}
