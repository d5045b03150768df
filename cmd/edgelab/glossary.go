package main

// This file is `edgelab run --explain`: what each counter of a world's
// figures line means, from the world package's own Glossary, so the words
// stay beside the code that counts.

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/edgelab/edgelab/ohttp/ohttpsim"
	"github.com/edgelab/edgelab/sim/pingworld"
)

// glossaries are the counters of each world's figures, by world name.
var glossaries = map[string][][2]string{
	pingworld.Name: pingworld.Glossary,
	ohttpsim.Name:  ohttpsim.Glossary,
}

// explain writes the glossary of world name.
func explain(w io.Writer, name string) error {
	g, ok := glossaries[name]
	if !ok {
		return fmt.Errorf("world %s has no glossary of its figures", name)
	}
	fmt.Fprintf(w, "world %s: the counters of its figures line\n", name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, e := range g {
		fmt.Fprintf(tw, "  %s\t%s\n", e[0], e[1])
	}
	return tw.Flush()
}
