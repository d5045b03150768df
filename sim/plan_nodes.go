package sim

// This file holds the parts of a plan that configure nodes and the run as
// a whole rather than the network: per-node disks, clocks and DNS zones,
// the stub resolvers, BUGGIFY, and their validation.

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// NodeSpec configures one node.
type NodeSpec struct {
	// Disk sets the fault probabilities of the node's MemDisk.
	Disk *DiskFaults `json:"disk,omitempty"`
	// Clock sets the node's clock.
	Clock *ClockSpec `json:"clock,omitempty"`
	// Zone makes the node the run's DNS server for these records (at most
	// one node has a zone). A node named only to serve a zone is added to
	// the world by Apply.
	Zone *ZoneSpec `json:"zone,omitempty"`
}

// NodeSpecs maps node names to their settings. It decodes each node on
// its own so that an error names the node ("nodes.a.disk.torn_write_prob").
type NodeSpecs map[string]*NodeSpec

func (ns *NodeSpecs) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return &PlanError{Field: "nodes", Err: errors.New("want an object mapping node names to their settings")}
	}
	out := make(NodeSpecs, len(raw))
	for _, name := range sortedKeys(raw) {
		dec := json.NewDecoder(bytes.NewReader(raw[name]))
		dec.DisallowUnknownFields()
		var spec *NodeSpec
		if err := dec.Decode(&spec); err != nil {
			pe := jsonPlanError(raw[name], err).(*PlanError)
			return &PlanError{Field: joinField("nodes."+name, pe.Field), Err: pe.Err}
		}
		out[name] = spec
	}
	*ns = out
	return nil
}

// ClockSpec is a node's Clock as data; times are virtual, from the start
// of the run: {"offset": "-1.5s", "drift_ppm": 120, "jumps": [{"at": "30s", "by": "-2s"}]}.
type ClockSpec struct {
	Offset   Duration   `json:"offset,omitempty"`
	DriftPPM float64    `json:"drift_ppm,omitempty"`
	Jumps    []JumpSpec `json:"jumps,omitempty"`
}

// JumpSpec steps a clock by By at virtual time At.
type JumpSpec struct {
	At Duration `json:"at"`
	By Duration `json:"by"`
}

// Clock returns the Clock the spec describes, counting drift from the
// start of the run.
func (c *ClockSpec) Clock() Clock {
	clk := Clock{Epoch: Epoch, Offset: c.Offset.D(), DriftPPM: c.DriftPPM}
	for _, j := range c.Jumps {
		clk.Jumps = append(clk.Jumps, ClockJump{At: Epoch.Add(j.At.D()), By: j.By.D()})
	}
	return clk
}

func (c *ClockSpec) validate(field string) error {
	if !(c.DriftPPM > -maxDriftPPM && c.DriftPPM < maxDriftPPM) {
		return planErr(field+".drift_ppm", "%v not in (-1e6, 1e6): the clock must move forward", c.DriftPPM)
	}
	for i, j := range c.Jumps {
		f := field + ".jumps[" + strconv.Itoa(i) + "]"
		if j.At <= 0 {
			return planErr(f+".at", "want a positive time (a jump at the start is an offset)")
		}
		if j.By == 0 {
			return planErr(f+".by", "missing")
		}
	}
	return nil
}

// ResolverSpec is ResolverConfig as data: {"timeout": "1s", "attempts": 2}.
type ResolverSpec struct {
	Timeout  Duration `json:"timeout,omitempty"`
	Attempts int      `json:"attempts,omitempty"`
}

func (r *ResolverSpec) validate() error {
	if r.Timeout < 0 {
		return planErr("resolver.timeout", "negative duration")
	}
	if r.Attempts < 0 || r.Attempts > 10 {
		return planErr("resolver.attempts", "want 1 to 10 (or leave it out for 2)")
	}
	return nil
}

// BuggifySpec turns BUGGIFY on: {"enabled": true, "enable_prob": 0.25,
// "fire_prob": 0.25}. A probability left out (or zero) is the default,
// DefaultBuggifyProb.
type BuggifySpec struct {
	Enabled    bool    `json:"enabled"`
	EnableProb float64 `json:"enable_prob,omitempty"`
	FireProb   float64 `json:"fire_prob,omitempty"`
}

func (b *BuggifySpec) validate() error {
	if err := checkProb("buggify.enable_prob", b.EnableProb); err != nil {
		return err
	}
	return checkProb("buggify.fire_prob", b.FireProb)
}

func checkProb(field string, p float64) error {
	if !(p >= 0 && p <= 1) {
		return planErr(field, "probability %v not in [0, 1]", p)
	}
	return nil
}

func validateDiskFaults(field string, f *DiskFaults) error {
	for _, p := range []struct {
		name string
		v    float64
	}{
		{"read_error_prob", f.ReadErrorProb}, {"write_error_prob", f.WriteErrorProb},
		{"sync_error_prob", f.SyncErrorProb}, {"torn_write_prob", f.TornWriteProb},
		{"power_fail_prob", f.PowerFailProb},
	} {
		if err := checkProb(field+"."+p.name, p.v); err != nil {
			return err
		}
	}
	if f.SyncLatency < 0 || f.SyncLatency.D() > MaxSyncLatency {
		return planErr(field+".sync_latency", "%v not in [0, %v]", f.SyncLatency.D(), MaxSyncLatency)
	}
	return nil
}

// validate checks the node settings in name order, so the error reported
// for a plan with several problems is always the same one.
func (ns NodeSpecs) validate() error {
	server := ""
	for _, name := range sortedKeys(ns) {
		f := "nodes." + name
		if name == "" || strings.ContainsAny(name, " \t\r\n/") {
			return planErr(f, "invalid node name %q", name)
		}
		spec := ns[name]
		if spec == nil {
			continue
		}
		if spec.Disk != nil {
			if err := validateDiskFaults(f+".disk", spec.Disk); err != nil {
				return err
			}
		}
		if spec.Clock != nil {
			if err := spec.Clock.validate(f + ".clock"); err != nil {
				return err
			}
		}
		if spec.Zone != nil {
			if server != "" {
				return planErr(f+".zone", "only one node serves DNS, and nodes.%s already does", server)
			}
			server = name
			if err := spec.Zone.validate(f + ".zone"); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateDNSFault checks a DNS fault of the "dns" fault kind.
func validateDNSFault(field string, f *DNSFault) error {
	switch f.Kind {
	case DNSServFail, DNSTimeout, DNSNXDomain, DNSStale:
	case "":
		return planErr(field+".kind", "missing (servfail, timeout, nxdomain or stale)")
	default:
		return planErr(field+".kind", "unknown DNS fault kind %q (want servfail, timeout, nxdomain or stale)", f.Kind)
	}
	if f.Version < 0 {
		return planErr(field+".version", "negative version")
	}
	if f.Version != 0 && f.Kind != DNSStale {
		return planErr(field+".version", "only for stale faults")
	}
	if f.Name != "" {
		if err := checkFQDN(f.Name); err != nil {
			return &PlanError{Field: field + ".name", Err: err}
		}
	}
	if f.Type != "" {
		if _, ok := recordTypes[strings.ToUpper(f.Type)]; !ok {
			return planErr(field+".type", "unknown record type %q (want %s)", f.Type, recordTypeList)
		}
	}
	return nil
}

// apply puts the node settings into s, in name order.
func (ns NodeSpecs) apply(s *Sim) error {
	for _, name := range sortedKeys(ns) {
		spec, f := ns[name], "nodes."+name
		n := s.Node(name)
		if n == nil {
			if spec == nil || spec.Zone == nil {
				return planErr(f, "unknown node %q (the plan adds only nodes that serve a zone)", name)
			}
			n = s.AddNode(name)
		}
		if spec == nil {
			continue
		}
		if spec.Disk != nil {
			if err := n.SetDiskFaults(*spec.Disk); err != nil {
				return &PlanError{Field: f + ".disk", Err: err}
			}
		}
		if spec.Clock != nil {
			if err := n.SetClock(spec.Clock.Clock()); err != nil {
				return &PlanError{Field: f + ".clock", Err: err}
			}
		}
		if spec.Zone != nil {
			z, err := NewZone(spec.Zone.Records...)
			if err != nil { // validate let it through: say where anyway
				return &PlanError{Field: f + ".zone", Err: err}
			}
			n.ServeDNS(z)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// joinField appends a field path to a prefix ("nodes.a" + "disk.x").
func joinField(prefix, field string) string {
	switch {
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	}
	return prefix + "." + field
}

// validateHeal checks heal_at and converge_within against each other and
// the limit.
func (p *Plan) validateHeal() error {
	switch {
	case p.HealAt < 0:
		return planErr("heal_at", "negative duration")
	case p.ConvergeWithin < 0:
		return planErr("converge_within", "negative duration")
	case p.ConvergeWithin > 0 && p.HealAt == 0:
		return planErr("converge_within", "needs heal_at: liveness is checked only after the faults stop")
	case p.Limit > 0 && p.HealAt > 0 && p.HealAt.D()+p.ConvergeWithin.D() > p.Limit.D():
		return planErr("heal_at", "heal_at + converge_within = %v is past the limit %v", p.HealAt.D()+p.ConvergeWithin.D(), p.Limit.D())
	}
	return nil
}
