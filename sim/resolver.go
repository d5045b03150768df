package sim

// This file wires DNS into the simulation. One node serves the run's Zone
// on UDP port 53 (ServeDNS): each query datagram is answered with
// Zone.Answer's bytes, or not at all for a timeout fault. Every node's
// Env.Resolver is then a dns.Client whose Exchange sends the query over the
// simulated network — so partitions, loss, crashes and pauses act on DNS
// like on any traffic — and parks the task until the answer comes or the
// resolver timeout passes in virtual time (at the node's clock rate).

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/edgelab/edgelab/sim/dns"
	"github.com/edgelab/edgelab/sim/env"
)

// DNSPort is the port the DNS server listens on.
const DNSPort = 53

// ResolverConfig is how stub resolvers query the run's DNS server, like
// resolv.conf's "options timeout: attempts:". A lookup of both A and AAAA
// queries them one after the other, so when nothing answers LookupHost
// takes 2 · Attempts · Timeout.
type ResolverConfig struct {
	// Timeout is how long one query waits for its answer; zero means
	// DefaultResolverTimeout.
	Timeout time.Duration
	// Attempts is how often a query is tried on timeouts and SERVFAIL;
	// zero means 2.
	Attempts int
}

// DefaultResolverTimeout is the per-query timeout of resolv.conf.
const DefaultResolverTimeout = 5 * time.Second

func (c ResolverConfig) withDefaults() ResolverConfig {
	if c.Timeout <= 0 {
		c.Timeout = DefaultResolverTimeout
	}
	if c.Attempts <= 0 {
		c.Attempts = 2
	}
	return c
}

// dnsServer is the run's DNS: the node answering and its zone.
type dnsServer struct {
	node *Node
	zone *dns.Zone
}

// ServeDNS makes n the run's DNS server for z: it answers queries on UDP
// port 53 and becomes the server of every node's Env.Resolver (unless a
// node has its own, see SetResolver). The binding survives crashes, like
// HostHTTP. A later ServeDNS, on this node or another, replaces it.
func (n *Node) ServeDNS(z *dns.Zone) {
	s := n.s
	if old := s.dns; old != nil && old.node != n {
		delete(old.node.ports, DNSPort)
	}
	s.dns = &dnsServer{node: n, zone: z}
	n.Bind(DNSPort, func(src netip.AddrPort, query []byte) {
		if answer, ok := z.Answer(query); ok {
			n.send("dns-answer", DNSPort, src, answer)
		}
	})
}

// DNS returns the run's DNS server node and zone, or nils if there is
// none. Worlds update the zone or set its faults through it.
func (s *Sim) DNS() (*Node, *dns.Zone) {
	if s.dns == nil {
		return nil, nil
	}
	return s.dns.node, s.dns.zone
}

// SetResolverConfig sets how every node's stub resolver queries the DNS
// server, from the next query on.
func (s *Sim) SetResolverConfig(c ResolverConfig) { s.resolverCfg = c }

// ResolverConfig returns the stub resolvers' settings, defaults filled in.
func (s *Sim) ResolverConfig() ResolverConfig { return s.resolverCfg.withDefaults() }

// setDNSFaults replaces the zone's faults; callers record why.
func (s *Sim) setDNSFaults(faults []dns.Fault) error {
	if s.dns == nil {
		return ErrNoDNS
	}
	return s.dns.zone.SetFaults(faults...)
}

// ErrNoDNS is what a lookup fails with (wrapped in a *net.DNSError) on a
// node without a resolver of its own in a run that serves no DNS: the
// simulation never reaches the real network for a name.
var ErrNoDNS = errors.New("sim: the simulation serves no DNS (see Node.ServeDNS)")

// noDNS is the resolver of such a node.
type noDNS struct{}

func noDNSErr(name string) error {
	return &net.DNSError{Err: ErrNoDNS.Error(), Name: name, UnwrapErr: ErrNoDNS}
}

func (noDNS) LookupHost(_ context.Context, host string) ([]string, error) {
	return nil, noDNSErr(host)
}
func (noDNS) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	return nil, noDNSErr(host)
}
func (noDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, noDNSErr(name)
}
func (noDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	return nil, noDNSErr(name)
}
func (noDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return nil, noDNSErr(addr)
}
func (noDNS) LookupCNAME(_ context.Context, host string) (string, error) {
	return "", noDNSErr(host)
}

// currentResolver is what the node's Env.Resolver delegates to now.
func (n *Node) currentResolver() env.Resolver {
	if n.resolver != nil {
		return n.resolver
	}
	srv := n.s.dns
	if srv == nil {
		return noDNS{}
	}
	if n.dns == nil {
		n.dns = &dns.Client{Exchange: n.dnsExchange, Rand: n.Rand("dns")}
	}
	n.dns.Server = netip.AddrPortFrom(srv.node.v4, DNSPort).String()
	n.dns.Attempts = n.s.ResolverConfig().Attempts
	return n.dns
}

// dnsExchange is the node's dns.Client.Exchange: one query datagram out
// from an ephemeral port, the first answer back, or a timeout.
func (n *Node) dnsExchange(ctx context.Context, query []byte) ([]byte, error) {
	s := n.s
	srv := s.dns
	if srv == nil {
		return nil, &net.OpError{Op: "dial", Net: "udp", Err: ErrNoDNS}
	}
	t := s.current("DNS lookup")
	if ctx == nil {
		ctx = context.Background()
	}
	server := netip.AddrPortFrom(srv.node.v4, DNSPort)
	x := &exchange{t: t}
	local, err := n.ephemeralPort(x)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "udp", Err: err}
	}
	defer n.unbind(local, x)
	tctx, cancel := n.env.WithTimeout(ctx, s.ResolverConfig().Timeout)
	defer cancel()
	n.send("dns-query", local, server, query)
	for x.resp == nil {
		if ctxErr(tctx) != nil {
			if err := ctxErr(ctx); err != nil {
				return nil, dns.ContextError(err) // the caller gave up: net's errTimeout/errCanceled
			}
			// What net's UDP read reports when its deadline passes.
			return nil, &net.OpError{
				Op: "read", Net: "udp",
				Source: net.UDPAddrFromAddrPort(netip.AddrPortFrom(n.v4, local)),
				Addr:   net.UDPAddrFromAddrPort(server),
				Err:    os.ErrDeadlineExceeded,
			}
		}
		s.watch(tctx, t)
		t.park("dns answer")
	}
	return x.resp, nil
}

// lookupHostDNS is DefaultHostResolver's fallback for a host that is
// neither an IP literal nor a node name: the node's resolver, and the
// first address it gives (IPv4 before IPv6).
func (n *Node) lookupHostDNS(ctx context.Context, host string) (netip.Addr, error) {
	addrs, err := n.currentResolver().LookupIPAddr(ctx, host)
	if err != nil {
		return netip.Addr{}, &HostError{Host: host, Err: err}
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			return ip.Unmap(), nil
		}
	}
	return netip.Addr{}, &HostError{Host: host, Err: dns.NotFound(host)}
}

// nodeResolver is Env.Resolver of a simulated node. It picks the resolver
// at each call, so a service that kept it from before the plan set up DNS
// still uses DNS.
type nodeResolver struct{ n *Node }

var _ env.Resolver = nodeResolver{}

func (r nodeResolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	return r.n.currentResolver().LookupHost(ctx, host)
}

func (r nodeResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	return r.n.currentResolver().LookupIPAddr(ctx, host)
}

func (r nodeResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	return r.n.currentResolver().LookupMX(ctx, name)
}

func (r nodeResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return r.n.currentResolver().LookupTXT(ctx, name)
}

func (r nodeResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	return r.n.currentResolver().LookupAddr(ctx, addr)
}

func (r nodeResolver) LookupCNAME(ctx context.Context, host string) (string, error) {
	return r.n.currentResolver().LookupCNAME(ctx, host)
}
