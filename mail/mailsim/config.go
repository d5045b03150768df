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
	// SyncLatency is how long an fsync takes on every MTA's disk (the
	// router's, the destinations', the senders'), unless the plan's node
	// settings give that disk a latency of its own ("sync_latency").
	SyncLatency time.Duration
	// PowerFail is the chance, per fsync, that the power of the router or
	// a destination fails during it (disk.Faults.PowerFailProb), unless
	// the plan's node settings give that disk one of its own.
	PowerFail float64
	// TornWrite is the chance that a crash tears the last unsynced write
	// of the router's and the destinations' disks (unless the plan's node
	// settings say).
	TornWrite float64
	// Bursts, if positive, sends the workload in that many bursts (a mail
	// merge, a digest hour) instead of spread evenly: every message of a
	// burst is submitted at one instant, so the senders' sessions reach
	// the router together and its spool commits them in groups.
	Bursts int
	// Greylist makes the destinations greylist: the first attempt of each
	// (client, sender, recipient) gets 451 4.7.1, a later one goes through,
	// as many receiving MTAs do, so mail waits in the router's queue.
	Greylist bool
}

// DefaultConfig is the world when a plan sets no knobs.
func DefaultConfig() Config {
	return Config{Senders: 2, Dests: 2, Messages: 16, Spread: 40 * time.Second}
}

// Knobs lists the plan knobs the world understands.
var Knobs = []string{"senders", "dests", "messages", "spread", "sync_latency", "power_fail_permille", "torn_write_permille", "bursts", "greylist"}

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
	if c.SyncLatency, err = p.KnobDuration("sync_latency", c.SyncLatency); err != nil {
		return c, err
	}
	pf, err := p.KnobInt("power_fail_permille", 0)
	if err != nil {
		return c, err
	}
	c.PowerFail = float64(pf) / 1000
	tw, err := p.KnobInt("torn_write_permille", 0)
	if err != nil {
		return c, err
	}
	c.TornWrite = float64(tw) / 1000
	if c.Bursts, err = p.KnobInt("bursts", 0); err != nil {
		return c, err
	}
	if c.Greylist, err = p.KnobBool("greylist", c.Greylist); err != nil {
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
	case c.SyncLatency < 0 || c.SyncLatency > time.Second:
		return c, &plan.Error{Field: "knobs.sync_latency", Err: errors.New("want 0 to 1s")}
	case pf < 0 || pf > 200:
		return c, &plan.Error{Field: "knobs.power_fail_permille", Err: errors.New("want 0 to 200")}
	case tw < 0 || tw > 1000:
		return c, &plan.Error{Field: "knobs.torn_write_permille", Err: errors.New("want 0 to 1000")}
	case c.Bursts < 0 || c.Bursts > 100:
		return c, &plan.Error{Field: "knobs.bursts", Err: errors.New("want 0 to 100")}
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
		{Name: "senders", Min: 1, Max: 4, SoakMax: 4},
		{Name: "dests", Min: 1, Max: 2},
		{Name: "messages", Min: 2, Max: 14, SoakMax: 40},
		{Name: "spread", Unit: time.Second, Min: 5, Max: 40},
		// A realistic fsync: a few milliseconds, a slow disk tens.
		{Name: "sync_latency", Unit: time.Millisecond, Min: 0, Max: 300},
		{Name: "power_fail_permille", Min: 0, Max: 200},
		{Name: "torn_write_permille", Min: 0, Max: 1000},
		{Name: "bursts", Min: 0, Max: 3},
		{Name: "greylist", Bool: true},
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
	// The kinds that only undo another fault (heal, unclog, release,
	// resume, restart) are left out: every drawn fault has its own "for"
	// and the plan heals at the horizon, so they would only dilute the
	// faults that matter.
	Kinds: slices.DeleteFunc(plan.DrawableFaultKinds(), func(k string) bool {
		return slices.Contains([]string{"heal", "unclog", "release", "resume", "restart"}, k)
	}),
	Has:      []string{"dns"},
	Faults:   map[string]plan.FaultDrawer{"disk": drawDiskFault, "crash": drawCrash, "clock_jump": drawClockJump},
	Converge: DrainBound,
}

// drawDiskFault is the world's disk fault: error and torn-write
// probabilities as the generic drawer draws them, and a slow-disk spell
// (an fsync of up to two seconds) in force for the fault's duration. Each
// shrinks toward nothing.
func drawDiskFault(d plan.Drawer, c *plan.FaultContext, f *plan.FaultSpec) bool {
	if !c.Node(d, f) {
		return false
	}
	p := func(label string) float64 { return float64(d.Int(label+"_permille", 0, 500)) / 1000 }
	f.Disk = &plan.DiskSpec{
		ReadErrorProb:  p("read_error"),
		WriteErrorProb: p("write_error"),
		SyncErrorProb:  p("sync_error"),
		TornWriteProb:  p("torn_write"),
		SyncLatency:    plan.Duration(time.Duration(d.Int("sync_latency_ms", 0, 2000)) * time.Millisecond),
		PowerFailProb:  float64(d.Int("power_fail_permille", 0, 100)) / 1000,
	}
	f.For = c.Millis(d, "for", c.Horizon/2)
	return true
}

// drawCrash crashes the router half the time (its spool is what the
// durability properties are about) and a destination otherwise, for up to
// half the horizon.
func drawCrash(d plan.Drawer, c *plan.FaultContext, f *plan.FaultSpec) bool {
	ts := c.Targets(f.Kind)
	if len(ts) == 0 {
		return false
	}
	f.Node = RouterNode
	if d.Int("crash_router", 0, 1) == 1 || !slices.Contains(ts, RouterNode) {
		f.Node = ts[d.Int("node", 0, len(ts)-1)]
	}
	f.For = c.Millis(d, "for", c.Horizon/2)
	return true
}

// drawClockJump steps the router's or a destination's clock by up to six
// hours either way (NTP after a long outage, an operator's fix): across
// midnight for SRS's day stamps, past retry times, and around DKIM
// signatures' t= and x=. It shrinks toward a 1ms forward step.
func drawClockJump(d plan.Drawer, c *plan.FaultContext, f *plan.FaultSpec) bool {
	if !c.Node(d, f) {
		return false
	}
	by := time.Duration(d.Int("by_s", 0, 6*3600))*time.Second + time.Millisecond
	if d.Int("backward", 0, 1) == 1 {
		by = -by
	}
	f.By = plan.Duration(by)
	return true
}
