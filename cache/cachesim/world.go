// Package cachesim is the tiered cache's simulated world: clients, lower
// tiers, optional regional hub, upper tiers and an origin on simulated
// nodes, all running the real cache code, with a rollout of a new build
// to the upper tiers during the run. Its properties are the ones that
// would have caught the October 2022 outage, in which a tracing call with
// a side effect cleared the tiers' control fields and updated upper tiers
// answered 530 on double misses.
package cachesim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/cache"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/world"
)

// Name is the world's name.
const Name = "cache"

// The properties, in the order violations are reported.
const (
	PropPure        = "tracing-pure"  // 1
	PropNo530       = "no-530"        // 2
	PropControl     = "control"       // 3
	PropUpstream    = "upper-only"    // 4
	PropFreshness   = "freshness"     // 5
	PropCollapsing  = "collapsing"    // 6
	PropCacheStatus = "cache-status"  // 7
	PropRollout     = "mixed-rollout" // 8
	PropPurge       = "purge"         // 9
)

// The seeded bugs (cache/bugs.go says what each does).
const (
	BugTraceClearsControl = "trace-clears-control" // the outage
	BugVaryIgnored        = "vary-ignored"
	BugPrivateStored      = "private-stored"
	BugAgeNotAdded        = "age-not-added"
	BugStaleBeyondSIE     = "stale-beyond-stale-if-error"
	BugWaiterNotReleased  = "waiter-not-released"
	BugControlToOrigin    = "control-to-origin"
	BugLowerStores5xx     = "lower-stores-5xx"
	BugPurgeLowerFirst    = "purge-lower-first"
	BugHashOwnerDiffers   = "hash-owner-differs"
	BugMerge304DropsETag  = "304-drops-etag"
	BugCutBodyStored      = "cut-body-stored"
)

// World is the cache world as a world.World.
type World struct{}

var (
	_ world.BugCatalog      = World{}
	_ world.Sized           = World{}
	_ world.Explained       = World{}
	_ world.Judged[*Result] = World{}
)

func (World) Name() string { return Name }
func (World) Summary() string {
	return "tiered HTTP cache: lower, hub and upper tiers, an origin, a rollout"
}
func (World) DefaultSeed() uint64    { return 1 }
func (World) DefaultPlan() *sim.Plan { return world.MustPlan(`{"world": "cache"}`) }
func (World) Shape() sim.Shape       { return Shape }

// Bugs is the seeded-bug catalog.
func (World) Bugs() []world.Bug {
	out := make([]world.Bug, len(bugCatalog))
	for i, b := range bugCatalog {
		out[i] = world.Bug{Name: b.name, Summary: b.summary}
	}
	return out
}

var bugCatalog = []struct {
	name, summary string
	set           func(*cache.Bugs)
}{
	{BugTraceClearsControl, "the new build's upper tiers hand their tracer the live request header and then read the origin from it (the 2022 outage)", func(b *cache.Bugs) { b.TraceClearsControl = true }},
	{BugVaryIgnored, "a request no stored variant matches gets the newest variant: the cache key ignores Vary", func(b *cache.Bugs) { b.VaryIgnored = true }},
	{BugPrivateStored, "Cache-Control: private is taken for a browser hint and the shared tier stores the response", func(b *cache.Bugs) { b.PrivateStored = true }},
	{BugAgeNotAdded, "a hit sends the Age the response arrived with, not adding its time in the store", func(b *cache.Bugs) { b.AgeNotAdded = true }},
	{BugStaleBeyondSIE, "stale-if-error is checked for presence only, so an error gets any stale copy however old", func(b *cache.Bugs) { b.StaleBeyondSIE = true }},
	{BugWaiterNotReleased, "a collapse leader whose fetch got no response returns without ending its flight: its waiters wait forever", func(b *cache.Bugs) { b.WaiterNotReleased = true }},
	{BugControlToOrigin, "upper tiers sign and attach their control context to every upstream request, the origin's too", func(b *cache.Bugs) { b.ControlToOrigin = true }},
	{BugLowerStores5xx, "a lower tier's negative cache takes its upstream's 5xx answers, not only its own errors", func(b *cache.Bugs) { b.LowerStores5xx = true }},
	{BugPurgeLowerFirst, "the purge API fans out from the edge inwards, so lower tiers refill from upper tiers not yet purged", func(b *cache.Bugs) { b.PurgeLowerFirst = true }},
	{BugHashOwnerDiffers, "the rendezvous hash is salted with the hashing tier's name: lower tiers disagree on a key's owner", func(b *cache.Bugs) { b.HashOwnerDiffers = true }},
	{BugMerge304DropsETag, "updating a stored header from a 304 drops the ETag with the fields that describe the bytes", func(b *cache.Bugs) { b.Merge304DropsETag = true }},
	{BugCutBodyStored, "a body whose connection was cut is read as complete and stored", func(b *cache.Bugs) { b.CutBodyStored = true }},
}

func bugsFrom(names []string) cache.Bugs {
	var b cache.Bugs
	for _, n := range names {
		for _, c := range bugCatalog {
			if c.name == n {
				c.set(&b)
			}
		}
	}
	return b
}

// Operations is how many client requests the plan asks for.
func (World) Operations(p *sim.Plan) (int, error) {
	c, err := ConfigFrom(p)
	if err != nil {
		return 0, err
	}
	return c.Lower * c.Requests, nil
}

// Glossary says what the figures count.
func (World) Glossary() []world.Term {
	return []world.Term{
		{Name: "requests", Meaning: "client requests answered or failed, main run"},
		{Name: "ok", Meaning: "client responses with status 200"},
		{Name: "s530", Meaning: "client responses with status 530 (origin name did not resolve)"},
		{Name: "s5xx", Meaning: "client responses with another 5xx status"},
		{Name: "origin_fetches", Meaning: "requests the origin received"},
		{Name: "upper_requests", Meaning: "requests the upper tiers and hubs received"},
		{Name: "virtual_s", Meaning: "virtual seconds the main run lasted"},
	}
}

// Result is what a run is judged from: the main run (the plan's rollout,
// the new build tracing with the export tracer) and its variants.
type Result struct {
	Config Config
	// Main is the plan as given; Off and Hostile the same with the new
	// build's tracer removed or replaced by a hostile one; Old with every
	// tier on the old build.
	Main, Off, Hostile, Old *runRecord
	// dnsDown are when the plan's DNS faults may fail the origin's name.
	dnsDown []window
	plan    *sim.Plan
}

// Responses are the main run's client-visible responses.
func (r *Result) Responses() []Response { return r.Main.responses }

// Run runs and judges the world.
func (w World) Run(seed uint64, plan *sim.Plan, opts world.Options) (*world.Outcome, error) {
	_, o, err := w.RunResult(seed, plan, opts)
	return o, err
}

// RunResult is Run that also returns the result.
func (w World) RunResult(seed uint64, plan *sim.Plan, opts world.Options) (*Result, *world.Outcome, error) {
	if err := world.CheckBugs(w, opts); err != nil {
		return nil, nil, err
	}
	cfg, err := ConfigFrom(plan)
	if err != nil {
		return nil, nil, err
	}
	bugs := bugsFrom(opts.Bugs)
	res := &Result{Config: cfg, dnsDown: dnsWindows(plan), plan: plan}
	for _, v := range []struct {
		dst **runRecord
		b   build
	}{
		{&res.Main, build{tracing: tracingExport, updated: cfg.Updated, bugs: bugs}},
		{&res.Off, build{tracing: tracingOff, updated: cfg.Updated, bugs: bugs}},
		{&res.Hostile, build{tracing: tracingHostile, updated: cfg.Updated, bugs: bugs}},
		// All old: the same tiers are replaced at the same moments, by
		// the old build (no tracer, no bugs), so that the rollout itself
		// (a process restart that keeps the store) is the same in both
		// runs and only the builds differ. Without the restarts the two
		// runs diverged on correct code (collapsing in flight is lost at
		// a restart), and the property saw the schedule, not the build.
		{&res.Old, build{tracing: tracingOff, updated: cfg.Updated}},
	} {
		if *v.dst, err = runOnce(seed, plan, cfg, v.b); err != nil {
			return nil, nil, err
		}
	}
	o := &world.Outcome{Figures: res.figures(), Trace: res.Main.trace,
		Details: []string{fmt.Sprintf("virtual time %v, %d kernel events, %d trace events", res.Main.report.End, res.Main.report.Events, len(res.Main.trace.Events))}}
	for _, p := range []struct {
		name  string
		check func() error
	}{
		{PropPure, res.checkPure}, {PropNo530, res.checkNo530}, {PropControl, res.checkControl},
		{PropUpstream, res.checkUpstream}, {PropFreshness, res.checkFreshness}, {PropCollapsing, res.checkCollapsing},
		{PropCacheStatus, res.checkCacheStatus}, {PropRollout, res.checkRollout}, {PropPurge, res.checkPurge},
	} {
		if err := p.check(); err != nil {
			o.Violations = append(o.Violations, world.Violation{Property: p.name, Message: strings.ReplaceAll(err.Error(), "\n", " ")})
		}
	}
	return res, o, nil
}

func (r *Result) figures() world.Figures {
	var ok, s530, s5xx int
	for _, x := range r.Main.responses {
		switch {
		case x.Status == 200:
			ok++
		case x.Status == cache.StatusOriginDNSError:
			s530++
		case x.Status >= 500:
			s5xx++
		}
	}
	return world.Figures{
		{Name: "requests", Value: float64(len(r.Main.responses))}, {Name: "ok", Value: float64(ok)},
		{Name: "s530", Value: float64(s530)}, {Name: "s5xx", Value: float64(s5xx)},
		{Name: "origin_fetches", Value: float64(len(r.Main.origin))},
		{Name: "upper_requests", Value: float64(len(r.Main.upper))},
		{Name: "virtual_s", Value: r.Main.report.End.Round(time.Millisecond).Seconds()},
	}
}

// firstDiff names the first line where two renderings differ.
func firstDiff(what string, a, b []string) error {
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Errorf("%s #%d differs: %q vs %q", what, i, x, y)
		}
	}
	return nil
}

// renderOrigin renders the origin's requests as a sorted multiset.
func renderOrigin(rs []OriginRequest) []string {
	out := make([]string, len(rs))
	for i, x := range rs {
		out[i] = x.From + " " + x.Method + " " + x.Path + " " + strconv.Quote(x.Header)
	}
	slices.Sort(out)
	return out
}

// lostInTransit is a response a lost or late message can explain: the
// variants of a run are different schedules of the same random network,
// so one may lose a message the other delivered.
func lostInTransit(x Response) bool {
	return x.Err != "" || x.Status == 0 || x.Status == 502 || x.Status == 504
}

// sameAnswers compares two runs' responses request by request: the same
// status and ETag and body, except where either was lost in transit. It
// reports whether every pair was compared.
func sameAnswers(what string, a, b []Response) (bool, error) {
	byReq := func(rs []Response) map[[2]int]Response {
		m := map[[2]int]Response{}
		for _, x := range rs {
			m[[2]int{x.Client, x.Seq}] = x
		}
		return m
	}
	ma, mb := byReq(a), byReq(b)
	if len(ma) != len(mb) {
		return false, fmt.Errorf("%s: %d responses vs %d", what, len(ma), len(mb))
	}
	var keys [][2]int
	for k := range ma {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [2]int) int {
		if x[0] != y[0] {
			return x[0] - y[0]
		}
		return x[1] - y[1]
	})
	all := true
	for _, k := range keys {
		x, y := ma[k], mb[k]
		if lostInTransit(x) || lostInTransit(y) {
			all = false
			continue
		}
		if x.Status != y.Status || !sameContent(x, y) {
			return false, fmt.Errorf("%s: client-%d request %d %s: %d %s %q vs %d %s %q", what, k[0], k[1], x.Path, x.Status, x.ETag, x.Body, y.Status, y.ETag, y.Body)
		}
	}
	return all, nil
}

// sameContent reports whether two answers carry the same object: the same
// body, or for 200s versions of one key at most one tick apart (a fetch a
// few microseconds later in one schedule may land after the origin
// published the next version; which of the two is valid is property 5's
// question, not this one).
func sameContent(x, y Response) bool {
	if x.Body == y.Body && x.ETag == y.ETag {
		return true
	}
	vx, ex, tx, okx := bodyVersion(x)
	vy, ey, ty, oky := bodyVersion(y)
	return x.Status == http.StatusOK && okx && oky && tx == ty && vx-vy <= 1 && vy-vx <= 1 && ex-ey <= 1 && ey-ex <= 1
}

// bodyVersion is the version and edit an origin body names, and the rest
// of its first line (the variant), if it is one for the response's key.
func bodyVersion(x Response) (version, edit int, tail string, ok bool) {
	rest, ok := strings.CutPrefix(x.Body, x.Path+" version ")
	if !ok {
		return 0, 0, "", false
	}
	rest, _, _ = strings.Cut(rest, "\n") // a large body goes on
	num, tail, _ := strings.Cut(rest, " ")
	vs, es, _ := strings.Cut(num, ".")
	v, err := strconv.Atoi(vs)
	e, err2 := strconv.Atoi(es)
	return v, e, tail, err == nil && err2 == nil
}

// checkPure is property 1: tracing off, on and hostile give the same
// client-visible responses and, when no message was lost in one run but
// not another, the same origin-visible requests (less the tracer's own
// traceparent) and cache state.
func (r *Result) checkPure() error {
	for _, v := range []struct {
		name string
		rec  *runRecord
	}{{"tracing off", r.Off}, {"hostile tracer", r.Hostile}} {
		all, err := sameAnswers("tracing on vs "+v.name, r.Main.responses, v.rec.responses)
		if err != nil || !all {
			return err
		}
		if err := firstDiff("origin request (tracing on vs "+v.name+")", renderOrigin(r.Main.origin), renderOrigin(v.rec.origin)); err != nil {
			return err
		}
		if err := firstDiff("stored object (tracing on vs "+v.name+")", r.Main.state, v.rec.state); err != nil {
			return err
		}
	}
	return nil
}

// checkNo530 is property 2: no 530 while the origin's name resolves. A
// 530 must come from an upper tier whose own lookup of the origin's name,
// during that request, failed in a way the DNS explains: no answer in
// time, or an error answer while a plan's DNS fault for the name was in
// force.
func (r *Result) checkNo530() error {
	for _, x := range r.Main.responses {
		if x.Status != cache.StatusOriginDNSError {
			continue
		}
		tier := dnsErrorTier(x.CacheStatus)
		if !r.explained530(tier, x) {
			return fmt.Errorf("client-%d %s: 530 from %q while %s resolves (Cache-Status %s)", x.Client, x.Path, tier, originHost, x.CacheStatus)
		}
	}
	return nil
}

// checkControl is property 3: every request an upper tier received
// carried a complete, authentic envelope; none reached the origin or a
// client; none was stored.
func (r *Result) checkControl() error {
	for _, u := range r.Main.upper {
		if u.ControlErr != "" {
			return fmt.Errorf("%s received %s from %s without a valid control context: %s", u.Tier, u.Path, u.From, u.ControlErr)
		}
	}
	for _, o := range r.Main.origin {
		if strings.Contains(strings.ToLower(o.Header), "edgelab-ctl-") {
			return fmt.Errorf("origin received a control field from %s: %s", o.From, o.Header)
		}
	}
	for _, x := range r.Main.responses {
		if strings.Contains(x.Err, "control field") {
			return fmt.Errorf("client-%d: %s", x.Client, x.Err)
		}
	}
	if len(r.Main.storedControl) > 0 {
		return fmt.Errorf("stored with a control field: %s", r.Main.storedControl[0])
	}
	return nil
}

// checkUpstream is property 4: only upper tiers talk to the origin (the
// world configures no direct fallback).
func (r *Result) checkUpstream() error {
	for _, o := range r.Main.origin {
		if !strings.HasPrefix(o.From, "upper-") {
			return fmt.Errorf("origin received %s %s from %s", o.Method, o.Path, o.From)
		}
	}
	return nil
}

// checkRollout is property 8: the plan's mix of builds gives the clients
// what the old build everywhere gives them.
func (r *Result) checkRollout() error {
	_, err := sameAnswers("rollout vs all old", r.Main.responses, r.Old.responses)
	return err
}

// Shape is the world's plan shape.
var Shape = sim.Shape{
	World: Name,
	Knobs: []sim.KnobRange{
		{Name: "topology", Min: 0, Max: 2},
		{Name: "lower", Min: 1, Max: 3, SoakMax: 4},
		{Name: "upper", Min: 1, Max: 3, SoakMax: 4},
		{Name: "requests", Min: 1, Max: 20, SoakMax: 60},
		{Name: "keys", Min: 1, Max: 8, SoakMax: 30},
		{Name: "updated", Min: 0, Max: 3},
		{Name: "rollout_at", Unit: time.Millisecond, Min: 0, Max: 3000},
		{Name: "interval", Unit: time.Millisecond, Min: 50, Max: 400},
		{Name: "origin_delay", Unit: time.Millisecond, Min: 0, Max: 4000},
		{Name: "origin_cut", Min: 0, Max: 500},
		{Name: "big_kb", Min: 0, Max: 96},
		{Name: "origin_errors", Min: 0, Max: 300},
		{Name: "purges", Min: 1, Max: 4},
	},
	Has: []string{"dns"},
	Nodes: func(p *sim.Plan) ([]string, error) {
		c, err := ConfigFrom(p)
		if err != nil {
			return nil, err
		}
		names := []string{"origin", dnsNodeName, opsNode}
		for j := 1; j <= c.Upper; j++ {
			names = append(names, "upper-"+strconv.Itoa(j))
		}
		if c.Topology == Regional {
			names = append(names, "hub-1")
		}
		for i := 1; i <= c.Lower; i++ {
			names = append(names, "lower-"+strconv.Itoa(i))
		}
		for i := 1; i <= c.Lower; i++ {
			names = append(names, "client-"+strconv.Itoa(i))
		}
		return names, nil
	},
	Horizon: func(p *sim.Plan) time.Duration {
		c, err := ConfigFrom(p)
		if err != nil {
			return sim.DefaultHorizon
		}
		return time.Duration(c.Requests) * c.Interval
	},
	MaxLatency: func(*sim.Plan) time.Duration { return 100 * time.Millisecond },
	Targets: func(kind string, nodes []string) []string {
		switch kind {
		case "crash", "restart":
			// Clients and the editor are the workload; the DNS node
			// fails through DNS faults (and partitions).
			return slices.DeleteFunc(nodes, func(n string) bool {
				return strings.HasPrefix(n, "client-") || n == dnsNodeName || n == opsNode
			})
		case "clock", "clock_jump":
			// Skew between the tiers (and the origin, whose clock dates
			// its answers) is what the freshness property is judged on.
			return slices.DeleteFunc(nodes, func(n string) bool {
				return strings.HasPrefix(n, "client-") || n == dnsNodeName || n == opsNode
			})
		}
		return nodes
	},
}
