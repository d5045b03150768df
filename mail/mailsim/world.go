package mailsim

// This file is the mail world behind the sim/world interface, and its
// seeded-bug catalog.

import (
	"fmt"
	"strings"
	"time"

	"github.com/edgelab/edgelab/mail/deliver"
	"github.com/edgelab/edgelab/mail/queue"
	"github.com/edgelab/edgelab/mail/router"
	"github.com/edgelab/edgelab/mail/rules"
	"github.com/edgelab/edgelab/mail/smtp"
	"github.com/edgelab/edgelab/mail/spool"
	"github.com/edgelab/edgelab/mail/srs"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/world"
)

// World is the mail world as a world.World.
type World struct{}

var (
	_ world.BugCatalog      = World{}
	_ world.Sized           = World{}
	_ world.Explained       = World{}
	_ world.Judged[*Result] = World{}
)

func (World) Name() string { return Name }
func (World) Summary() string {
	return "senders, the mail router and destination MTAs under crashes, DNS and network faults"
}
func (World) DefaultSeed() uint64    { return DefaultSeed }
func (World) DefaultPlan() *sim.Plan { return world.MustPlan(DefaultPlan) }
func (World) Shape() sim.Shape       { return Shape }
func (World) Glossary() []world.Term { return Glossary }

// Operations is the number of messages the plan asks for.
func (World) Operations(plan *sim.Plan) (int, error) {
	c, err := ConfigFrom(plan)
	return c.Messages, err
}

// DefaultPlan is a lossy network, a router crash with a torn disk, a
// destination down, a DNS SERVFAIL spell and an IPv6 outage, healed at
// 60s with the drain bound to converge.
const DefaultPlan = `{
  "world": "mail",
  "network": {"default": {"latency": {"dist": "lognormal", "min": "1ms", "median": "5ms", "sigma": 0.5}, "loss": 0.01}},
  "nodes": {"router": {"disk": {"torn_write_prob": 0.5}}},
  "faults": [
    {"at": "8s", "kind": "crash", "node": "router", "for": "4s"},
    {"at": "15s", "kind": "crash", "node": "dest-1", "for": "20s"},
    {"at": "20s", "kind": "dns", "dns": {"kind": "servfail", "type": "MX"}, "for": "10s"},
    {"at": "25s", "kind": "family_down", "family": "ipv6", "node": "dest-2", "for": "30s"}
  ],
  "heal_at": "60s", "converge_within": "8m"
}`

// The catalog of seeded bugs, each a switch in a service package's
// bugs.go.
var catalog = []struct {
	world.Bug
	set func(*Bugs)
}{
	{world.Bug{Name: "ack-before-sync", Summary: "the spool answers Put (so the router says 250) before its fsync"}, func(b *Bugs) { b.Spool.AckBeforeSync = true }},
	{world.Bug{Name: "done-before-delivery", Summary: "the queue marks a recipient done in the spool before the destination's 250"}, func(b *Bugs) { b.Queue.DoneBeforeDelivery = true }},
	{world.Bug{Name: "retry-without-backoff", Summary: "the queue retries a failed recipient at once, without backoff"}, func(b *Bugs) { b.Queue.NoBackoff = true }},
	{world.Bug{Name: "dsn-to-null-sender", Summary: "a failed bounce (null sender) gets a DSN of its own, addressed to <>"}, func(b *Bugs) { b.Queue.BounceNullSender = true }},
	{world.Bug{Name: "srs-hash-unchecked", Summary: "bounces to SRS addresses are reversed without checking the hash"}, func(b *Bugs) { b.SRS.SkipHashCheck = true }},
	{world.Bug{Name: "dmarc-full-domain", Summary: "DMARC relaxed alignment compares full domains, not organizational ones"}, func(b *Bugs) { b.Router.DMARC.FullDomainAlignment = true }},
	{world.Bug{Name: "bare-lf-end-of-data", Summary: "the SMTP server takes <LF>.<LF> as the end of the data"}, func(b *Bugs) { b.SMTP.BareLFEndOfData = true }},
	{world.Bug{Name: "a-before-aaaa-no-fallback", Summary: "delivery tries a host's IPv4 address first and never falls back to IPv6"}, func(b *Bugs) { b.Deliver.IPv4FirstNoFallback = true }},
	{world.Bug{Name: "catch-all-first", Summary: "the catch-all is evaluated before the literal rules"}, func(b *Bugs) { b.Rules.CatchAllFirst = true }},
	{world.Bug{Name: "group-ack-before-sync", Summary: "group commit acknowledges a batch before its fsync returns"}, func(b *Bugs) { b.Spool.GroupAckBeforeSync = true }},
	{world.Bug{Name: "rebuild-skips-torn-segment", Summary: "the queue rebuilt from disk skips a segment with a torn tail, synced records before the tear included"}, func(b *Bugs) { b.Spool.SkipTornSegment = true }},
	{world.Bug{Name: "rules-case-sensitive-domain", Summary: "rule lookup compares domains case-sensitively"}, func(b *Bugs) { b.Router.CaseSensitiveDomain = true }},
}

// Bugs are the service switches a run's seeded bugs set.
type Bugs struct {
	Spool   spool.Bugs
	Queue   queue.Bugs
	SRS     srs.Bugs
	Router  router.Bugs
	SMTP    smtp.Bugs
	Deliver deliver.Bugs
	Rules   rules.Bugs
}

// Bugs lists the catalog.
func (World) Bugs() []world.Bug {
	out := make([]world.Bug, len(catalog))
	for i, c := range catalog {
		out[i] = c.Bug
	}
	return out
}

func bugsFrom(names []string) Bugs {
	var b Bugs
	for _, n := range names {
		for _, c := range catalog {
			if c.Name == n {
				c.set(&b)
			}
		}
	}
	return b
}

// Run runs the world once and judges it.
func (w World) Run(seed uint64, plan *sim.Plan, opts world.Options) (*world.Outcome, error) {
	_, o, err := w.RunResult(seed, plan, opts)
	return o, err
}

// RunResult is Run that also returns the Result the outcome was judged
// from, for properties of a caller's own (world.WithProperty).
func (w World) RunResult(seed uint64, plan *sim.Plan, opts world.Options) (*Result, *world.Outcome, error) {
	if err := world.CheckBugs(w, opts); err != nil {
		return nil, nil, err
	}
	r, err := Run(seed, plan, bugsFrom(opts.Bugs))
	if err != nil {
		return nil, nil, err
	}
	o := &world.Outcome{Figures: r.Figures(), Trace: r.Trace,
		Details: []string{fmt.Sprintf("virtual time %v, %d kernel events, %d trace events", r.Report.End, r.Report.Events, len(r.Trace.Events))}}
	for _, v := range r.Judge() {
		o.Violations = append(o.Violations, v)
	}
	return r, o, nil
}

// Run runs the world with seed under plan (nil: no faults) with bugs
// switched on.
func Run(seed uint64, plan *sim.Plan, bugs Bugs) (*Result, error) {
	cfg, err := ConfigFrom(plan)
	if err != nil {
		return nil, err
	}
	heal := cfg.horizon()
	if plan != nil && plan.HealAt > 0 {
		heal = plan.HealAt.D()
	}
	end := heal + DrainBound
	s := sim.New(sim.Config{Seed: seed, Limit: end + time.Minute})
	w := &run{s: s, cfg: cfg, seed: seed, bugs: bugs, end: end,
		srsSecret: []byte(fmt.Sprintf("srs secret %d", seed))}
	for _, name := range nodeNames(cfg) {
		s.AddNode(name)
	}
	w.workload = drawWorkload(seed, cfg)
	if err := w.build(); err != nil {
		return nil, err
	}
	if err := plan.Apply(s); err != nil {
		return nil, err
	}
	if err := applyDisks(s, cfg); err != nil {
		return nil, err
	}
	res := &Result{Seed: seed, Config: cfg, Workload: w.workload, healAt: heal, faulted: plan != nil && len(plan.Faults) > 0}
	s.Eventually("drain", func() error { return w.drained() })
	w.schedule()
	rep, err := s.Run()
	if err != nil {
		return nil, err
	}
	res.Report, res.Trace = rep, s.Trace()
	res.Liveness = s.LivenessErr()
	res.Mailboxes, res.Attacks = w.mailboxes, w.attacks
	res.RouterLogs = w.routerLogs
	res.Early = w.early
	for _, m := range w.senders {
		res.SenderLogs = append(res.SenderLogs, m.log)
	}
	res.Final = w.drained()
	res.srsSecret = w.srsSecret
	res.zone, _ = w.zoneRecords()
	return res, nil
}

// drained says whether every queue in the world is empty.
func (w *run) drained() error {
	if w.s.Node(RouterNode).Down() {
		return fmt.Errorf("router is down")
	}
	if w.routerQ != nil && w.routerQ.Len() > 0 {
		return fmt.Errorf("router queue holds %d recipients", w.routerQ.Len())
	}
	for _, m := range w.senders {
		if m.q != nil && m.q.Len() > 0 {
			return fmt.Errorf("%s queue holds %d recipients", m.n.Name(), m.q.Len())
		}
	}
	return nil
}

// applyDisks gives the MTAs' disks the knobs' sync latency (every MTA),
// power-failure and torn-write chances (the router and the destinations:
// senders are the workload), where the plan's node settings left them
// zero.
func applyDisks(s *sim.Sim, cfg Config) error {
	if cfg.SyncLatency == 0 && cfg.PowerFail == 0 && cfg.TornWrite == 0 {
		return nil
	}
	for _, name := range nodeNames(cfg) {
		if name == AttackerNode || name == SpammerNode || name == DNSNode {
			continue
		}
		n := s.Node(name)
		f := n.MemDisk().Faults()
		g := f
		if g.SyncLatency == 0 {
			g.SyncLatency = sim.Duration(cfg.SyncLatency)
		}
		if !strings.HasPrefix(name, "sender-") {
			if g.PowerFailProb == 0 {
				g.PowerFailProb = cfg.PowerFail
			}
			if g.TornWriteProb == 0 {
				g.TornWriteProb = cfg.TornWrite
			}
		}
		if g != f {
			if err := n.SetDiskFaults(g); err != nil {
				return err
			}
		}
	}
	return nil
}
