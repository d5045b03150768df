package mailsim

// This file is the world's knobs and its plan shape.

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/sim/plan"
)

// Name is the world's name in plans and on the command line.
const Name = "mail"

// DefaultSeed is the seed `edgelab` runs the world with by default.
const DefaultSeed = 1

// Config is the world's size. Plans set it through knobs of the same
// names: "senders", "dests", "messages" and "spread".
type Config struct {
	Senders  int
	Dests    int
	Messages int
	// Spread is the span of virtual time over which the workload is sent.
	Spread time.Duration
}

// DefaultConfig is the world when a plan sets no knobs.
func DefaultConfig() Config {
	return Config{Senders: 2, Dests: 2, Messages: 16, Spread: 40 * time.Second}
}

// Knobs lists the plan knobs the world understands.
var Knobs = []string{"senders", "dests", "messages", "spread"}

// ConfigFrom reads the world's size from the plan's knobs.
func ConfigFrom(p *plan.Plan) (Config, error) {
	c := DefaultConfig()
	if err := p.CheckKnobs(Knobs...); err != nil {
		return c, err
	}
	var err error
	if c.Senders, err = p.KnobInt("senders", c.Senders); err != nil {
		return c, err
	}
	if c.Dests, err = p.KnobInt("dests", c.Dests); err != nil {
		return c, err
	}
	if c.Messages, err = p.KnobInt("messages", c.Messages); err != nil {
		return c, err
	}
	if c.Spread, err = p.KnobDuration("spread", c.Spread); err != nil {
		return c, err
	}
	switch {
	case c.Senders < 1 || c.Senders > 8:
		return c, &plan.Error{Field: "knobs.senders", Err: errors.New("want 1 to 8")}
	case c.Dests < 1 || c.Dests > 2:
		return c, &plan.Error{Field: "knobs.dests", Err: errors.New("want 1 or 2")}
	case c.Messages < 0 || c.Messages > 5000:
		return c, &plan.Error{Field: "knobs.messages", Err: errors.New("want 0 to 5000")}
	case c.Spread <= 0 || c.Spread > 24*time.Hour:
		return c, &plan.Error{Field: "knobs.spread", Err: errors.New("want a positive duration up to 24h")}
	}
	return c, nil
}

// Node names.
const (
	RouterNode   = "router"
	AttackerNode = "attacker"
	SpammerNode  = "spammer"
	DNSNode      = "dns"
)

// SenderNode names sending MTA i (from 1); DestNode destination j.
func SenderNode(i int) string { return "sender-" + strconv.Itoa(i) }
func DestNode(j int) string   { return "dest-" + strconv.Itoa(j) }

func nodeNames(c Config) []string {
	out := []string{RouterNode}
	for j := 1; j <= c.Dests; j++ {
		out = append(out, DestNode(j))
	}
	for i := 1; i <= c.Senders; i++ {
		out = append(out, SenderNode(i))
	}
	return append(out, AttackerNode, SpammerNode, DNSNode)
}

// The retry schedule of every queue in the world, and the bound within
// which the world promises its queues drain after the faults heal: a
// recipient waits at most 1.5·MaxRetry for its next attempt, a message
// crosses two queues, and a bounce two more.
const (
	FirstRetry = 5 * time.Second
	MaxRetry   = time.Minute
	DrainBound = 8 * time.Minute
)

func (c Config) horizon() time.Duration { return c.Spread + 20*time.Second }

// Shape is the world's plan shape: faults hit the router and the
// destinations (crashes, disks), the network anywhere, the DNS, and the
// clocks; every drawn plan heals at its horizon and must drain within
// DrainBound.
var Shape = plan.Shape{
	World: Name,
	Knobs: []plan.KnobRange{
		{Name: "senders", Min: 1, Max: 2, SoakMax: 3},
		{Name: "dests", Min: 1, Max: 2},
		{Name: "messages", Min: 2, Max: 14, SoakMax: 40},
		{Name: "spread", Unit: time.Second, Min: 5, Max: 40},
	},
	Nodes: func(p *plan.Plan) ([]string, error) {
		c, err := ConfigFrom(p)
		if err != nil {
			return nil, err
		}
		return nodeNames(c), nil
	},
	Horizon: func(p *plan.Plan) time.Duration {
		c, err := ConfigFrom(p)
		if err != nil {
			return plan.DefaultHorizon
		}
		return c.horizon()
	},
	Targets: func(kind string, nodes []string) []string {
		switch kind {
		case "crash", "restart", "disk", "pause", "resume", "clock_jump", "family_down":
			// Senders and the attackers are the workload; the DNS server
			// is faulted through DNS faults.
			return slices.DeleteFunc(nodes, func(n string) bool {
				return n != RouterNode && !strings.HasPrefix(n, "dest-")
			})
		}
		return nodes
	},
	// Clock jumps are left out for now: a +2h jump of the router's clock
	// makes the run spin in virtual time (under investigation).
	Kinds:    slices.DeleteFunc(plan.DrawableFaultKinds(), func(k string) bool { return k == "clock_jump" }),
	Has:      []string{"dns"},
	Converge: DrainBound,
}
