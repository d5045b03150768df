package sim

// This file defines plans: a run described as data (JSON). A plan names a
// world, a seed, the world's knobs, the network's link parameters, node
// settings (disks, clocks, a DNS zone), BUGGIFY, a timeline of faults and
// when the faults stop. Decoding is strict (unknown fields are errors) and
// every error names the field at fault in one line.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Plan is a run described as data. In JSON, with every field optional:
//
//	{
//	  "world": "ping", "seed": 7, "limit": "2m",
//	  "knobs": {"clients": 3},
//	  "network": {"default": {"loss": 0.01}, "links": [...]},
//	  "nodes": {
//	    "server-1": {
//	      "disk": {"read_error_prob": 0, "write_error_prob": 0, "sync_error_prob": 0.01, "torn_write_prob": 0.5,
//	               "sync_latency": "5ms"},
//	      "clock": {"offset": "-1.5s", "drift_ppm": 120, "jumps": [{"at": "30s", "by": "-2s"}]}
//	    },
//	    "dns": {"zone": [{"name": "origin.example.", "type": "A", "ttl": 60, "value": "10.0.0.1"}]}
//	  },
//	  "resolver": {"timeout": "1s", "attempts": 2},
//	  "buggify": {"enabled": true, "enable_prob": 0.25, "fire_prob": 0.25},
//	  "faults": [{"at": "5s", "kind": "pause", "node": "server-1", "for": "2s"}, ...],
//	  "heal_at": "60s", "converge_within": "10s"
//	}
//
// knobs are the world's; network is NetworkSpec; nodes is NodeSpec per
// node (disk fault probabilities, clock offset, drift and jumps, and the
// DNS zone of the one node that serves it, which Apply adds if the world
// has no node of that name); resolver is how every node's stub resolver
// queries that server (ResolverConfig); buggify turns BUGGIFY sites on
// (BuggifySpec); faults is the timeline (FaultSpec). At heal_at every
// fault stops and is undone (Sim.HealAll) and faults after it are not
// injected; converge_within later, the world's liveness checks run
// (Sim.Eventually).
type Plan struct {
	World string `json:"world,omitempty"`
	// Seed, if set, is the run's seed (a command line may override it).
	Seed *uint64 `json:"seed,omitempty"`
	// Limit is how much virtual time the run may take (default DefaultLimit).
	Limit Duration `json:"limit,omitempty"`
	// Knobs are the world's own parameters; the world says which it knows.
	Knobs    map[string]json.RawMessage `json:"knobs,omitempty"`
	Network  *NetworkSpec               `json:"network,omitempty"`
	Nodes    NodeSpecs                  `json:"nodes,omitempty"`
	Resolver *ResolverSpec              `json:"resolver,omitempty"`
	Buggify  *BuggifySpec               `json:"buggify,omitempty"`
	Faults   []FaultSpec                `json:"faults,omitempty"`
	// HealAt is when every fault stops (zero: never).
	HealAt Duration `json:"heal_at,omitempty"`
	// ConvergeWithin is how long after HealAt the world has to satisfy
	// its liveness properties (zero: they are not checked).
	ConvergeWithin Duration `json:"converge_within,omitempty"`
}

// NetworkSpec sets link parameters: a default for every link and overrides
// for some.
type NetworkSpec struct {
	Default *LinkSpec      `json:"default,omitempty"`
	Links   []LinkOverride `json:"links,omitempty"`
}

// LinkSpec is LinkParams as data. A field left out keeps the value it would
// otherwise have (DefaultLink's, or the plan's default for an override).
type LinkSpec struct {
	Latency      *DistSpec `json:"latency,omitempty"`
	Loss         *float64  `json:"loss,omitempty"`
	Dup          *float64  `json:"dup,omitempty"`
	Reorder      *float64  `json:"reorder,omitempty"`
	ReorderDelay *Duration `json:"reorder_delay,omitempty"`
	Bandwidth    *int64    `json:"bandwidth,omitempty"`
}

// LinkOverride applies a LinkSpec to the links from each node in From to
// each node in To, and back unless Oneway.
type LinkOverride struct {
	From   []string `json:"from"`
	To     []string `json:"to"`
	Oneway bool     `json:"oneway,omitempty"`
	LinkSpec
}

// DistSpec is a latency distribution as data:
//
//	{"dist": "fixed", "value": "2ms"}
//	{"dist": "uniform", "min": "1ms", "max": "5ms"}
//	{"dist": "exponential", "mean": "3ms", "min": "1ms", "max": "50ms"}
//	{"dist": "lognormal", "median": "3ms", "sigma": 0.6, "min": "1ms", "max": "50ms"}
//
// max is optional for exponential and lognormal (a cap); a lognormal
// median may not be below its min.
type DistSpec struct {
	Dist   string   `json:"dist"`
	Value  Duration `json:"value,omitempty"`
	Min    Duration `json:"min,omitempty"`
	Max    Duration `json:"max,omitempty"`
	Mean   Duration `json:"mean,omitempty"`
	Median Duration `json:"median,omitempty"`
	Sigma  float64  `json:"sigma,omitempty"`
}

// FaultSpec is one timed fault. Which fields a kind takes:
//
//	partition  from, to [, oneway] [, for]   cut groups apart (for: heal after)
//	isolate    node [, for]                  cut one node off from all others
//	heal                                     remove every partition
//	clog       from, to [, oneway] [, for]   hold messages at the senders
//	unclog     [from, to [, oneway]]         release clogged links (all if none named)
//	swizzle    [nodes] [, span] [, step]     clog a random subset, unclog one by one
//	hold       from, to [, oneway] [, for]   capture arriving messages
//	release    [from, to [, oneway]]         deliver held messages (all if none named)
//	loss       p [, from, to [, oneway]]     set the loss probability
//	link       link [, from, to [, oneway]]  set link parameters
//	crash      node [, for]                  crash a node (for: restart after)
//	restart    node                          restart a crashed node
//	pause      node [, for]                  pause a node (for: resume after)
//	resume     node                          resume a paused node
//	disk       node, disk [, for]            set a node's disk faults (for: back to the previous ones)
//	clock_jump node, by                      step a node's clock by a duration (negative: back)
//	dns        dns [, for]                   add a DNS fault, ahead of those in force (for: remove it)
//	zone       zone                          replace the DNS zone's records (a new version)
//	family_down family, node | from, to [, oneway] [, for]
//	                                         take one address family ("ipv4" or "ipv6") down
//	                                         on a node or on links, the other still up
//
// disk is as in NodeSpec; dns is {"kind": "servfail" | "timeout" |
// "nxdomain" | "stale", "name": "host.example.", "type": "AAAA",
// "version": 0}, where name and type limit the fault to matching queries
// and version (stale only) is the zone version answered from (0 is the
// zone as declared, each zone fault adds one); zone is as in NodeSpec.
// The dns and zone kinds need a zone (NodeSpec.Zone or Node.ServeDNS).
type FaultSpec struct {
	At     Duration    `json:"at"`
	Kind   string      `json:"kind"`
	Node   string      `json:"node,omitempty"`
	Nodes  []string    `json:"nodes,omitempty"`
	From   []string    `json:"from,omitempty"`
	To     []string    `json:"to,omitempty"`
	Oneway bool        `json:"oneway,omitempty"`
	P      *float64    `json:"p,omitempty"`
	Link   *LinkSpec   `json:"link,omitempty"`
	Span   Duration    `json:"span,omitempty"`
	Step   Duration    `json:"step,omitempty"`
	For    Duration    `json:"for,omitempty"`
	Disk   *DiskFaults `json:"disk,omitempty"`
	By     Duration    `json:"by,omitempty"`
	DNS    *DNSFault   `json:"dns,omitempty"`
	Zone   *ZoneSpec   `json:"zone,omitempty"`
	Family Family      `json:"family,omitempty"`
}

// Duration is a time.Duration written in JSON as a Go duration string.
type Duration time.Duration

var durationType = reflect.TypeFor[Duration]()

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reports problems as *json.UnmarshalTypeError, which the
// decoder annotates with the field's path; Value carries the message.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: `want a duration string such as "1.5s"`, Type: durationType}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: fmt.Sprintf("bad duration %q", s), Type: durationType}
	}
	*d = Duration(v)
	return nil
}

// PlanError is a problem with a plan, located by the path of its field
// ("faults[2].node", "network.default.loss").
type PlanError struct {
	Field string
	Err   error
}

func (e *PlanError) Error() string {
	if e.Field == "" {
		return "plan: " + e.Err.Error()
	}
	return "plan: " + e.Field + ": " + e.Err.Error()
}

func (e *PlanError) Unwrap() error { return e.Err }

func planErr(field string, format string, args ...any) error {
	return &PlanError{Field: field, Err: fmt.Errorf(format, args...)}
}

// ParsePlan decodes and validates a plan. Unknown fields, trailing data
// and invalid values are errors.
func ParsePlan(data []byte) (*Plan, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, jsonPlanError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &PlanError{Err: errors.New("trailing data after the plan object")}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// jsonPlanError turns a decoding error into one line that says where.
func jsonPlanError(data []byte, err error) error {
	var syn *json.SyntaxError
	var pe *PlanError
	switch {
	case errors.As(err, &pe):
		return pe // from a part of the plan that decodes itself (NodeSpecs)
	case errors.As(err, &syn):
		line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
		return &PlanError{Err: fmt.Errorf("invalid JSON on line %d: %v", line, syn)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &PlanError{Err: errors.New("invalid JSON: unexpected end of input")}
	case errors.Is(err, io.EOF):
		return &PlanError{Err: errors.New("empty plan")}
	}
	field, msg := decodeProblem(err)
	return &PlanError{Field: field, Err: errors.New(msg)}
}

// decodeProblem says where and what a decoding error is, in one line.
func decodeProblem(err error) (field, msg string) {
	if typ, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		// The decoder joins the path with dots, also before an index
		// that a ZoneSpec reports ("zone.[2].ttl").
		field = strings.ReplaceAll(typ.Field, ".[", "[")
		if typ.Type == durationType || typ.Type == zoneSpecType {
			return field, typ.Value // these carry their own message
		}
		return field, fmt.Sprintf("cannot use a JSON %s here, want %v", typ.Value, typ.Type)
	}
	msg = strings.TrimPrefix(err.Error(), "json: ")
	if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return "", "unknown field " + f
	}
	return "", strings.ReplaceAll(msg, "\n", " ")
}

// Validate checks everything that does not need the world's nodes.
func (p *Plan) Validate() error {
	if p.Limit < 0 {
		return planErr("limit", "negative duration")
	}
	for _, name := range sortedKeys(p.Knobs) {
		if len(bytes.TrimSpace(p.Knobs[name])) == 0 {
			return planErr("knobs."+name, "empty value")
		}
	}
	if nw := p.Network; nw != nil {
		if nw.Default != nil {
			if _, err := nw.Default.params("network.default", DefaultLink); err != nil {
				return err
			}
		}
		for i, o := range nw.Links {
			f := "network.links[" + strconv.Itoa(i) + "]"
			if len(o.From) == 0 {
				return planErr(f+".from", "missing")
			}
			if len(o.To) == 0 {
				return planErr(f+".to", "missing")
			}
			if _, err := o.LinkSpec.params(f, DefaultLink); err != nil {
				return err
			}
		}
	}
	if err := p.Nodes.validate(); err != nil {
		return err
	}
	if p.Resolver != nil {
		if err := p.Resolver.validate(); err != nil {
			return err
		}
	}
	if p.Buggify != nil {
		if err := p.Buggify.validate(); err != nil {
			return err
		}
	}
	for i := range p.Faults {
		if err := p.Faults[i].validate("faults[" + strconv.Itoa(i) + "]"); err != nil {
			return err
		}
	}
	return p.validateHeal()
}

// params resolves s on top of base.
func (s *LinkSpec) params(field string, base LinkParams) (LinkParams, error) {
	p := base
	if s.Latency != nil {
		d, err := s.Latency.dist(field + ".latency")
		if err != nil {
			return p, err
		}
		p.Latency = d
	}
	for _, f := range []struct {
		name string
		v    *float64
		dst  *float64
	}{{"loss", s.Loss, &p.Loss}, {"dup", s.Dup, &p.Dup}, {"reorder", s.Reorder, &p.Reorder}} {
		if f.v == nil {
			continue
		}
		if !(*f.v >= 0 && *f.v <= 1) {
			return p, planErr(field+"."+f.name, "probability %v not in [0, 1]", *f.v)
		}
		*f.dst = *f.v
	}
	if s.ReorderDelay != nil {
		if *s.ReorderDelay < 0 {
			return p, planErr(field+".reorder_delay", "negative duration")
		}
		p.ReorderDelay = s.ReorderDelay.D()
	}
	if s.Bandwidth != nil {
		if *s.Bandwidth < 0 {
			return p, planErr(field+".bandwidth", "negative bandwidth")
		}
		p.Bandwidth = *s.Bandwidth
	}
	return p, nil
}

func (s *DistSpec) dist(field string) (Dist, error) {
	var d Dist
	allowed := map[string]bool{}
	switch s.Dist {
	case "fixed":
		d = Fixed(s.Value.D())
		allowed["value"] = true
	case "uniform":
		d = Uniform(s.Min.D(), s.Max.D())
		allowed["min"], allowed["max"] = true, true
	case "exponential":
		d = Exponential(s.Min.D(), s.Mean.D())
		d.Max = s.Max.D()
		allowed["min"], allowed["mean"], allowed["max"] = true, true, true
	case "lognormal":
		d = LogNormal(s.Min.D(), s.Median.D(), s.Sigma)
		d.Max = s.Max.D()
		allowed["min"], allowed["median"], allowed["sigma"], allowed["max"] = true, true, true, true
		if s.Median > 0 && s.Median < s.Min {
			// The median scales the delay above the floor, but a median
			// below the minimum reads as a contradiction: say so.
			return d, planErr(field+".median", "%v below min %v", s.Median.D(), s.Min.D())
		}
	case "":
		return d, planErr(field+".dist", "missing (fixed, uniform, exponential or lognormal)")
	default:
		return d, planErr(field+".dist", "unknown distribution %q (fixed, uniform, exponential or lognormal)", s.Dist)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"value", s.Value != 0}, {"min", s.Min != 0}, {"max", s.Max != 0}, {"mean", s.Mean != 0}, {"median", s.Median != 0}, {"sigma", s.Sigma != 0}} {
		if f.set && !allowed[f.name] {
			return d, planErr(field+"."+f.name, "not a parameter of the %s distribution", s.Dist)
		}
	}
	if err := d.Validate(); err != nil {
		return d, &PlanError{Field: field, Err: err}
	}
	return d, nil
}

// faultFields says which optional fields each fault kind takes; required
// ones are checked in validate.
var faultFields = map[string][]string{
	"partition":   {"from", "to", "oneway", "for"},
	"isolate":     {"node", "for"},
	"heal":        {},
	"clog":        {"from", "to", "oneway", "for"},
	"unclog":      {"from", "to", "oneway"},
	"swizzle":     {"nodes", "span", "step"},
	"hold":        {"from", "to", "oneway", "for"},
	"release":     {"from", "to", "oneway"},
	"loss":        {"p", "from", "to", "oneway"},
	"link":        {"link", "from", "to", "oneway"},
	"crash":       {"node", "for"},
	"restart":     {"node"},
	"pause":       {"node", "for"},
	"resume":      {"node"},
	"disk":        {"node", "disk", "for"},
	"clock_jump":  {"node", "by"},
	"dns":         {"dns", "for"},
	"zone":        {"zone"},
	"family_down": {"family", "node", "from", "to", "oneway", "for"},
}

// FaultKinds lists the fault kinds a plan may use, sorted.
func FaultKinds() []string { return sortedKeys(faultFields) }

func (f *FaultSpec) validate(field string) error {
	fields, ok := faultFields[f.Kind]
	if !ok {
		if f.Kind == "" {
			return planErr(field+".kind", "missing")
		}
		return planErr(field+".kind", "unknown fault kind %q (want one of %s)", f.Kind, strings.Join(FaultKinds(), ", "))
	}
	if f.At < 0 {
		return planErr(field+".at", "negative time")
	}
	set := []struct {
		name string
		on   bool
	}{
		{"node", f.Node != ""}, {"nodes", len(f.Nodes) > 0}, {"from", len(f.From) > 0},
		{"to", len(f.To) > 0}, {"oneway", f.Oneway}, {"p", f.P != nil}, {"link", f.Link != nil},
		{"span", f.Span != 0}, {"step", f.Step != 0}, {"for", f.For != 0},
		{"disk", f.Disk != nil}, {"by", f.By != 0}, {"dns", f.DNS != nil}, {"zone", f.Zone != nil},
		{"family", f.Family != ""},
	}
	for _, s := range set {
		if s.on && !contains(fields, s.name) {
			return planErr(field+"."+s.name, "not a parameter of fault kind %q", f.Kind)
		}
	}
	switch f.Kind {
	case "partition", "clog", "hold":
		if len(f.From) == 0 {
			return planErr(field+".from", "missing")
		}
		if len(f.To) == 0 {
			return planErr(field+".to", "missing")
		}
	case "isolate", "crash", "restart", "pause", "resume":
		if f.Node == "" {
			return planErr(field+".node", "missing")
		}
	case "disk":
		if f.Node == "" {
			return planErr(field+".node", "missing")
		}
		if f.Disk == nil {
			return planErr(field+".disk", "missing")
		}
		if err := validateDiskFaults(field+".disk", f.Disk); err != nil {
			return err
		}
	case "clock_jump":
		if f.Node == "" {
			return planErr(field+".node", "missing")
		}
		if f.By == 0 {
			return planErr(field+".by", "missing")
		}
	case "dns":
		if f.DNS == nil {
			return planErr(field+".dns", "missing")
		}
		if err := validateDNSFault(field+".dns", f.DNS); err != nil {
			return err
		}
	case "zone":
		if f.Zone == nil {
			return planErr(field+".zone", "missing")
		}
		if err := f.Zone.validate(field + ".zone"); err != nil {
			return err
		}
	case "family_down":
		if f.Family == "" {
			return planErr(field+".family", "missing")
		}
		if f.Family != IPv4 && f.Family != IPv6 {
			return planErr(field+".family", "unknown address family %q (want %q or %q)", string(f.Family), IPv4, IPv6)
		}
		if (f.Node == "") == (len(f.From) == 0 && len(f.To) == 0) {
			return planErr(field+".node", "want either node or from and to")
		}
	case "loss":
		if f.P == nil {
			return planErr(field+".p", "missing")
		}
		if !(*f.P >= 0 && *f.P <= 1) {
			return planErr(field+".p", "probability %v not in [0, 1]", *f.P)
		}
	case "link":
		if f.Link == nil {
			return planErr(field+".link", "missing")
		}
		if _, err := f.Link.params(field+".link", DefaultLink); err != nil {
			return err
		}
	}
	if (len(f.From) == 0) != (len(f.To) == 0) {
		if len(f.From) == 0 {
			return planErr(field+".from", "missing (to is given)")
		}
		return planErr(field+".to", "missing (from is given)")
	}
	if f.For < 0 || f.Span < 0 || f.Step < 0 {
		return planErr(field, "negative duration")
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// CheckKnobs reports the first knob (in name order) that is not among known.
func (p *Plan) CheckKnobs(known ...string) error {
	if p == nil {
		return nil
	}
	for _, k := range sortedKeys(p.Knobs) {
		if !contains(known, k) {
			ks := append([]string(nil), known...)
			sort.Strings(ks)
			return planErr("knobs."+k, "unknown knob (known: %s)", strings.Join(ks, ", "))
		}
	}
	return nil
}

func (p *Plan) knob(name string, v any) (bool, error) {
	if p == nil {
		return false, nil
	}
	raw, ok := p.Knobs[name]
	if !ok {
		return false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false, planErr("knobs."+name, "want %s", knobWant(v))
	}
	return true, nil
}

func knobWant(v any) string {
	switch v.(type) {
	case *int:
		return "an integer"
	case *float64:
		return "a number"
	case *bool:
		return "true or false"
	case *Duration:
		return `a duration string such as "1.5s"`
	}
	return "a valid value"
}

// KnobInt returns the integer knob name, or def if the plan does not set it.
func (p *Plan) KnobInt(name string, def int) (int, error) {
	var f float64
	ok, err := p.knob(name, &f)
	if err != nil || !ok {
		return def, err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return def, planErr("knobs."+name, "want an integer")
	}
	return int(f), nil
}

// KnobFloat returns the number knob name, or def.
func (p *Plan) KnobFloat(name string, def float64) (float64, error) {
	v := def
	_, err := p.knob(name, &v)
	return v, err
}

// KnobBool returns the boolean knob name, or def.
func (p *Plan) KnobBool(name string, def bool) (bool, error) {
	v := def
	_, err := p.knob(name, &v)
	return v, err
}

// KnobDuration returns the duration knob name, or def.
func (p *Plan) KnobDuration(name string, def time.Duration) (time.Duration, error) {
	v := Duration(def)
	_, err := p.knob(name, &v)
	return v.D(), err
}
