package dns

import (
	"fmt"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// FaultKind is what a DNS fault does to the queries it matches.
type FaultKind string

const (
	// ServFail answers SERVFAIL: net.Resolver reports a temporary
	// "server misbehaving".
	ServFail FaultKind = "servfail"
	// Timeout drops the query: Answer returns ok=false and the client
	// times out.
	Timeout FaultKind = "timeout"
	// NXDomain answers NXDOMAIN even though the name exists.
	NXDomain FaultKind = "nxdomain"
	// Stale answers from an earlier zone version (Version), as a
	// lagging secondary or an over-long cache would.
	Stale FaultKind = "stale"
)

// Fault is a fault as data, so that plans can schedule them.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Name limits the fault to queries for this name (fully qualified,
	// any case). Empty means every name.
	Name string `json:"name,omitempty"`
	// Type limits the fault to one query type ("A", "AAAA", "MX", "TXT",
	// "CNAME", "PTR"); empty means every type. AAAA-only failures are a
	// classic way for IPv6-first code to go wrong.
	Type string `json:"type,omitempty"`
	// Version is the zone version a stale fault answers from.
	Version int `json:"version,omitempty"`
}

// SetFaults replaces the zone's faults. For each query the first matching
// fault applies; a query no fault matches is answered from the current
// version.
func (z *Zone) SetFaults(faults ...Fault) error {
	for i, f := range faults {
		if err := z.checkFault(f); err != nil {
			return fmt.Errorf("sim: DNS fault %d (%s %s): %w", i, f.Kind, f.Name, err)
		}
	}
	z.faults = append([]Fault(nil), faults...)
	return nil
}

// Faults returns the faults in force.
func (z *Zone) Faults() []Fault { return append([]Fault(nil), z.faults...) }

func (z *Zone) checkFault(f Fault) error {
	switch f.Kind {
	case ServFail, Timeout, NXDomain:
		if f.Version != 0 {
			return fmt.Errorf("version is only for stale faults")
		}
	case Stale:
		if f.Version < 0 || f.Version > z.Version() {
			return fmt.Errorf("version %d does not exist (the zone has versions 0..%d)", f.Version, z.Version())
		}
	default:
		return fmt.Errorf("kind %q is not one of servfail, timeout, nxdomain, stale", f.Kind)
	}
	if f.Name != "" {
		if err := CheckName(f.Name); err != nil {
			return fmt.Errorf("name: %w", err)
		}
	}
	if f.Type != "" {
		if _, ok := recordTypes[strings.ToUpper(f.Type)]; !ok {
			return fmt.Errorf("type %q is not one of A, AAAA, MX, TXT, CNAME, PTR", f.Type)
		}
	}
	return nil
}

// faultFor returns the first fault matching a query, if any.
func (z *Zone) faultFor(qname string, qtype dnsmessage.Type) (Fault, bool) {
	for _, f := range z.faults {
		if f.Name != "" && foldName(f.Name) != qname {
			continue
		}
		if f.Type != "" && recordTypes[strings.ToUpper(f.Type)] != qtype {
			continue
		}
		return f, true
	}
	return Fault{}, false
}
