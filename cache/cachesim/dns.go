package cachesim

// This file is the origin's DNS as the world sees it: every tier's
// lookups, recorded on their way to the node's real resolver (the one
// `edgelab serve cache` gets from the OS), and the DNS faults a plan puts
// in force, so that property 2 can tell a 530 the DNS explains from one
// it does not.

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/edgelab/edgelab/cache/status"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/env"
)

// dnsNodeName is the node serving the origin's zone.
const dnsNodeName = "dns"

// Lookup is one DNS lookup a tier made.
type Lookup struct {
	Tier, Host string
	Start, End time.Duration // true time
	Err        string        // "" if it resolved
	Timeout    bool          // no answer came in time (lost, cut off, dropped)
}

// tierEnv is a tier node's Env with its resolver watched. Everything else,
// BUGGIFY included (Unwrap), is the node's.
type tierEnv struct {
	env.Env
	tier      string
	s         *sim.Sim
	rec       *runRecord
	transport http.RoundTripper // the node's, recorded (record.go)
}

func (e *tierEnv) Transport() http.RoundTripper { return e.transport }

func (e *tierEnv) Unwrap() env.Env { return e.Env }

func (e *tierEnv) Resolver() env.Resolver { return watchedResolver{e.Env.Resolver(), e} }

type watchedResolver struct {
	env.Resolver
	e *tierEnv
}

func (w watchedResolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	l := Lookup{Tier: w.e.tier, Host: host, Start: w.e.s.Now()}
	addrs, err := w.Resolver.LookupHost(ctx, host)
	l.End = w.e.s.Now()
	if err != nil {
		l.Err = err.Error()
		var de *net.DNSError
		l.Timeout = errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
			(errors.As(err, &de) && de.IsTimeout)
	}
	w.e.rec.lookups = append(w.e.rec.lookups, l)
	return addrs, err
}

// window is a span of true time; end < 0 means to the end of the run.
type window struct{ start, end time.Duration }

func (w window) overlaps(a, b time.Duration) bool { return w.start <= b && (w.end < 0 || a < w.end) }

// dnsWindows are when the plan's faults may keep the origin's name from
// resolving: DNS faults that fail its address queries (SERVFAIL, NXDOMAIN,
// timeout, for every name or for it, for every type or A or AAAA), and
// from any zone replacement on (its records may lack the name). Healing
// ends them all.
func dnsWindows(p *sim.Plan) []window {
	if p == nil {
		return nil
	}
	var out []window
	for _, f := range p.Faults {
		w := window{start: f.At.D(), end: -1}
		switch {
		case f.Kind == "zone":
		case f.Kind == "dns" && f.DNS != nil:
			d := f.DNS
			if d.Kind == sim.DNSStale || (d.Name != "" && !sameHost(d.Name, originHost)) {
				continue
			}
			if t := strings.ToUpper(d.Type); t != "" && t != "A" && t != "AAAA" {
				continue
			}
			if f.For > 0 {
				w.end = w.start + f.For.D()
			}
		default:
			continue
		}
		if h := p.HealAt.D(); h > 0 && (w.end < 0 || w.end > h) {
			w.end = h
		}
		out = append(out, w)
	}
	return out
}

func sameHost(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// dnsErrorTier names the tier whose Cache-Status member says the origin
// did not resolve.
func dnsErrorTier(chain string) string {
	ms, err := status.Parse([]string{chain})
	if err != nil {
		return ""
	}
	for _, m := range ms {
		if m.Detail == "origin-dns-error" {
			return m.Cache
		}
	}
	return ""
}

// explained530 reports whether a failed lookup of the origin's name by
// tier, during x, accounts for its 530: one that timed out (the name did
// not resolve from there: DNS unreachable or a timeout fault), or that
// got an error answer while a DNS fault for the name was in force.
func (r *Result) explained530(tier string, x Response) bool {
	for _, l := range r.Main.lookups {
		if l.Tier != tier || l.Err == "" || !sameHost(l.Host, originHost) || l.Start < x.Start || l.End > x.End {
			continue
		}
		if l.Timeout {
			return true
		}
		for _, w := range r.dnsDown {
			if w.overlaps(l.Start, l.End) {
				return true
			}
		}
	}
	return false
}
