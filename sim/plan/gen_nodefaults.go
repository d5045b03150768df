package plan

import (
	"time"

	"github.com/edgelab/edgelab/sim/dns"
)

// This file draws the node-level faults whose parameters the generic
// drawer does not know: disk fault probabilities, clock jumps and DNS
// faults. Each shrinks toward its mildest form (all disk probabilities 0,
// a 1ms forward jump, a SERVFAIL for every name).

func init() {
	RegisterFaultGen("disk", FaultGen{Draw: drawDiskFault})
	RegisterFaultGen("clock_jump", FaultGen{Draw: drawClockJump})
	RegisterFaultGen("dns", FaultGen{Draw: drawDNSFault, Needs: "dns"})
	// A zone fault replaces the zone's records, which only the world
	// knows how to vary: a world that serves DNS supplies the drawer in
	// Shape.Faults["zone"].
	RegisterFaultGen("zone", FaultGen{Needs: "dns"})
}

func drawDiskFault(d Drawer, c *FaultContext, f *FaultSpec) bool {
	if !c.Node(d, f) {
		return false
	}
	p := func(label string) float64 { return float64(d.Int(label+"_permille", 0, 500)) / 1000 }
	f.Disk = &DiskSpec{
		ReadErrorProb:  p("read_error"),
		WriteErrorProb: p("write_error"),
		SyncErrorProb:  p("sync_error"),
		TornWriteProb:  p("torn_write"),
	}
	f.For = c.Millis(d, "for", c.Horizon/2)
	return true
}

func drawClockJump(d Drawer, c *FaultContext, f *FaultSpec) bool {
	if !c.Node(d, f) {
		return false
	}
	by := time.Duration(d.Int("by_ms", 1, 60_000)) * time.Millisecond
	if d.Int("backward", 0, 1) == 1 {
		by = -by
	}
	f.By = Duration(by)
	return true
}

// dnsFaultKinds are the DNS faults drawn, mildest first. Stale answers
// are drawn from version 0 only: later versions exist only after zone
// faults, which Sim.Apply checks against the whole timeline.
var dnsFaultKinds = []dns.FaultKind{dns.ServFail, dns.NXDomain, dns.Timeout, dns.Stale}

// dnsTypes are the query types a DNS fault may be limited to; "" is all.
var dnsTypes = []string{"", "A", "AAAA", "MX", "TXT"}

func drawDNSFault(d Drawer, c *FaultContext, f *FaultSpec) bool {
	f.DNS = &dns.Fault{
		Kind: dnsFaultKinds[d.Int("dns_kind", 0, len(dnsFaultKinds)-1)],
		Type: dnsTypes[d.Int("dns_type", 0, len(dnsTypes)-1)],
	}
	f.For = c.Millis(d, "for", c.Horizon/2)
	return true
}
