package sim

import (
	"fmt"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// DNSFaultKind is what a DNS fault does to the queries it matches.
type DNSFaultKind string

const (
	// DNSServFail answers SERVFAIL: net.Resolver reports a temporary
	// "server misbehaving".
	DNSServFail DNSFaultKind = "servfail"
	// DNSTimeout drops the query: Answer returns ok=false and the client
	// times out.
	DNSTimeout DNSFaultKind = "timeout"
	// DNSNXDomain answers NXDOMAIN even though the name exists.
	DNSNXDomain DNSFaultKind = "nxdomain"
	// DNSStale answers from an earlier zone version (Version), as a
	// lagging secondary or an over-long cache would.
	DNSStale DNSFaultKind = "stale"
)

// DNSFault is a fault as data, so that plans can schedule them.
type DNSFault struct {
	Kind DNSFaultKind `json:"kind"`
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
func (z *Zone) SetFaults(faults ...DNSFault) error {
	for i, f := range faults {
		if err := z.checkFault(f); err != nil {
			return fmt.Errorf("sim: DNS fault %d (%s %s): %w", i, f.Kind, f.Name, err)
		}
	}
	z.faults = append([]DNSFault(nil), faults...)
	return nil
}

// Faults returns the faults in force.
func (z *Zone) Faults() []DNSFault { return append([]DNSFault(nil), z.faults...) }

func (z *Zone) checkFault(f DNSFault) error {
	switch f.Kind {
	case DNSServFail, DNSTimeout, DNSNXDomain:
		if f.Version != 0 {
			return fmt.Errorf("version is only for stale faults")
		}
	case DNSStale:
		if f.Version < 0 || f.Version > z.Version() {
			return fmt.Errorf("version %d does not exist (the zone has versions 0..%d)", f.Version, z.Version())
		}
	default:
		return fmt.Errorf("kind %q is not one of servfail, timeout, nxdomain, stale", f.Kind)
	}
	if f.Name != "" {
		if err := checkFQDN(f.Name); err != nil {
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
func (z *Zone) faultFor(qname string, qtype dnsmessage.Type) (DNSFault, bool) {
	for _, f := range z.faults {
		if f.Name != "" && foldName(f.Name) != qname {
			continue
		}
		if f.Type != "" && recordTypes[strings.ToUpper(f.Type)] != qtype {
			continue
		}
		return f, true
	}
	return DNSFault{}, false
}
