package main

// This file is the list of simulated worlds the command line knows. Every
// command that runs a world (run, sweep, replay, shrink, bugs, export,
// experiment, all) finds it here and uses it only through the sim/world
// interface, so adding a world is one line in this list and nothing else.

import (
	"github.com/edgelab/edgelab/cache/cachesim"
	"github.com/edgelab/edgelab/mail/mailsim"
	"github.com/edgelab/edgelab/ohttp/ohttpsim"
	"github.com/edgelab/edgelab/sim/pingworld"
	"github.com/edgelab/edgelab/sim/world"
)

// worlds are the worlds, in the order `edgelab` runs them.
var worlds = []world.World{
	ohttpsim.World{},
	pingworld.World{},
	mailsim.World{},
	cachesim.World{},
}

func lookupWorld(name string) (world.World, error) { return world.Find(worlds, name) }
