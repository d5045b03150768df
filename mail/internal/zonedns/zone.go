// Package zonedns is an in-memory DNS zone with the method set of
// *net.Resolver (and so of env.Resolver), for tests of the mail
// authentication packages that must answer from fixed zone data (the
// OpenSPF suite's zones, DKIM key records, DMARC policies) without a
// simulated network. Answers and errors have net.Resolver's shapes: a
// missing name is a *net.DNSError with IsNotFound, a failure one with
// IsTimeout or IsTemporary.
package zonedns

import (
	"context"
	"net"
	"strings"
	"sync"
)

// Zone holds records by lower-case name without the trailing dot. PTR is
// keyed by the address's string form, as LookupAddr is asked.
type Zone struct {
	TXT   map[string][]string
	IP    map[string][]net.IP
	MX    map[string][]*net.MX
	PTR   map[string][]string
	CNAME map[string]string
	// Err answers every query for a name with this error.
	Err map[string]error

	// faults are Err entries set with Fail while servers read the zone.
	mu     sync.Mutex
	faults map[string]error
}

// Fail makes every query for name answer err from now on, or heals the
// name if err is nil. Unlike the maps, it may be called while the zone is
// in use by other goroutines.
func (z *Zone) Fail(name string, err error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.faults == nil {
		z.faults = map[string]error{}
	}
	if err == nil {
		delete(z.faults, norm(name))
	} else {
		z.faults[norm(name)] = err
	}
}

func (z *Zone) fault(name string) (error, bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	err, ok := z.faults[name]
	return err, ok
}

// New returns an empty zone.
func New() *Zone {
	return &Zone{
		TXT: map[string][]string{}, IP: map[string][]net.IP{}, MX: map[string][]*net.MX{},
		PTR: map[string][]string{}, CNAME: map[string]string{}, Err: map[string]error{},
	}
}

func norm(name string) string { return strings.TrimSuffix(strings.ToLower(name), ".") }

// Timeout and ServFail are the errors a zone's Err map usually holds.
func Timeout(name string) error {
	return &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true, IsTemporary: true}
}

func ServFail(name string) error {
	return &net.DNSError{Err: "server misbehaving", Name: name, IsTemporary: true}
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// resolve follows CNAMEs (at most 8) and returns the final name or an error.
func (z *Zone) resolve(ctx context.Context, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	name = norm(name)
	for range 8 {
		if err, ok := z.Err[name]; ok {
			return "", err
		}
		if err, ok := z.fault(name); ok {
			return "", err
		}
		target, ok := z.CNAME[name]
		if !ok {
			return name, nil
		}
		name = norm(target)
	}
	return "", &net.DNSError{Err: "CNAME loop", Name: name}
}

func (z *Zone) LookupTXT(ctx context.Context, name string) ([]string, error) {
	n, err := z.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	txts, ok := z.TXT[n]
	if !ok && !z.exists(n) {
		return nil, notFound(name)
	}
	return append([]string(nil), txts...), nil
}

func (z *Zone) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	n, err := z.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	ips, ok := z.IP[n]
	if !ok {
		if z.exists(n) {
			return nil, nil
		}
		return nil, notFound(host)
	}
	out := make([]net.IPAddr, len(ips))
	for i, ip := range ips {
		out[i] = net.IPAddr{IP: ip}
	}
	return out, nil
}

func (z *Zone) LookupHost(ctx context.Context, host string) ([]string, error) {
	addrs, err := z.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.IP.String()
	}
	return out, nil
}

func (z *Zone) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	n, err := z.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	mxs, ok := z.MX[n]
	if !ok && !z.exists(n) {
		return nil, notFound(name)
	}
	out := make([]*net.MX, len(mxs))
	for i, mx := range mxs {
		c := *mx
		out[i] = &c
	}
	return out, nil
}

func (z *Zone) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err, ok := z.Err[addr]; ok {
		return nil, err
	}
	names, ok := z.PTR[addr]
	if !ok {
		return nil, notFound(addr)
	}
	return append([]string(nil), names...), nil
}

func (z *Zone) LookupCNAME(ctx context.Context, host string) (string, error) {
	n, err := z.resolve(ctx, host)
	if err != nil {
		return "", err
	}
	if !z.exists(n) {
		return "", notFound(host)
	}
	return n + ".", nil
}

// exists reports whether the name owns any record (NOERROR/NODATA rather
// than NXDOMAIN for the types it lacks).
func (z *Zone) exists(n string) bool {
	_, t := z.TXT[n]
	_, i := z.IP[n]
	_, m := z.MX[n]
	return t || i || m
}
