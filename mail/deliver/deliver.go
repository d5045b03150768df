// Package deliver sends a message to a destination domain's mail servers:
// MX lookup in preference order with the implicit MX of RFC 5321 §5.1 and
// the null MX of RFC 7505, each host's IPv6 addresses before its IPv4 ones
// (so an IPv6 outage falls back to IPv4), and an outcome per recipient.
// The SMTP conversation itself is a Session, opened over the dialled
// connection; the router plugs in the SMTP client.
package deliver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/mail/reply"
	"github.com/edgelab/edgelab/sim/env"
)

// Host is one mail server name of a domain.
type Host struct {
	Name string
	Pref uint16
}

// ErrNullMX: the domain says it accepts no mail (RFC 7505).
var ErrNullMX = errors.New("deliver: domain publishes a null MX")

// Hosts returns domain's mail servers, lowest preference first (ties keep
// the resolver's order). A domain without MX records is its own mail
// server (implicit MX). A DNS failure other than "no such name" is
// returned so the caller can retry later.
func Hosts(ctx context.Context, r env.Resolver, domain string) ([]Host, error) {
	mxs, err := r.LookupMX(ctx, domain)
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			mxs = nil
		} else {
			return nil, err
		}
	}
	if len(mxs) == 0 {
		return []Host{{Name: strings.TrimSuffix(domain, "."), Pref: 0}}, nil
	}
	if len(mxs) == 1 && (mxs[0].Host == "." || mxs[0].Host == "") {
		return nil, ErrNullMX
	}
	hosts := make([]Host, 0, len(mxs))
	for _, m := range mxs {
		if m.Host == "." || m.Host == "" {
			continue
		}
		hosts = append(hosts, Host{Name: strings.TrimSuffix(m.Host, "."), Pref: m.Pref})
	}
	sort.SliceStable(hosts, func(i, j int) bool { return hosts[i].Pref < hosts[j].Pref })
	return hosts, nil
}

// Addrs returns host's addresses, IPv6 first, each family in the
// resolver's order. A host that is an IP address is itself.
func Addrs(ctx context.Context, r env.Resolver, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	ips, err := r.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	var v6, v4 []netip.Addr
	for _, ip := range ips {
		a, ok := netip.AddrFromSlice(ip.IP)
		if !ok {
			continue
		}
		if a.Is4In6() || a.Is4() {
			v4 = append(v4, a.Unmap())
		} else {
			v6 = append(v6, a)
		}
	}
	return append(v6, v4...), nil
}

// Envelope is what is sent.
type Envelope struct {
	From string // "" for the null sender
	To   []string
	// SMTPUTF8 and EightBit say what the message needs of the next hop.
	SMTPUTF8 bool
	EightBit bool
}

// Session is one SMTP conversation on a connected socket.
type Session interface {
	// Send runs one transaction; the replies are per recipient, in order.
	// An error means the transaction as a whole failed with that error
	// (preferably a *reply.Reply).
	Send(ctx context.Context, env *Envelope, data []byte) ([]reply.Reply, error)
	Close() error
}

// Opener starts a Session on conn, a connection to host (for TLS names
// and logs).
type Opener func(ctx context.Context, conn net.Conn, host string) (Session, error)

// Outcome is one recipient's result.
type Outcome struct {
	Rcpt  string
	Reply reply.Reply
	Host  string // the server that answered, "" if none did
}

// Deliverer delivers to domains.
type Deliverer struct {
	Env  env.Env
	Open Opener
	// Port is the SMTP port (25).
	Port int
	// DialTimeout bounds each connection attempt (30s).
	DialTimeout time.Duration
	// Attempt records each dial (address and error) if set; tests and
	// traces read it.
	Attempt func(addr string, err error)
	// Bugs switches on seeded bugs (bugs.go); zero in production.
	Bugs Bugs
}

// Deliver sends data to the recipients, which all belong to domain, and
// returns one Outcome per recipient in order. Hosts are tried in MX order
// and each host's addresses IPv6 first, moving on when a connection fails
// or the whole transaction gets a temporary failure; a permanent answer,
// or per-recipient answers, end the attempt.
func (d *Deliverer) Deliver(ctx context.Context, domain string, env *Envelope, data []byte) []Outcome {
	out := make([]Outcome, len(env.To))
	all := func(r reply.Reply, host string) []Outcome {
		for i := range out {
			out[i] = Outcome{Rcpt: env.To[i], Reply: r, Host: host}
		}
		return out
	}
	r := d.Env.Resolver()
	hosts, err := Hosts(ctx, r, domain)
	if errors.Is(err, ErrNullMX) {
		return all(reply.Reply{Code: 556, Enhanced: "5.1.10", Text: "recipient domain " + domain + " accepts no mail (null MX)"}, "")
	}
	if err != nil {
		return all(reply.Reply{Code: 451, Enhanced: "4.4.3", Text: "MX lookup for " + domain + " failed: " + err.Error()}, "")
	}
	port := d.Port
	if port == 0 {
		port = 25
	}
	timeout := d.DialTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	last := reply.Reply{Code: 451, Enhanced: "4.4.1", Text: "no mail server of " + domain + " answered"}
	for _, h := range hosts {
		addrs, err := Addrs(ctx, r, h.Name)
		if d.Bugs.IPv4FirstNoFallback {
			addrs = slices.DeleteFunc(addrs, func(a netip.Addr) bool { return !a.Is4() })
		}
		if err != nil {
			last = reply.Reply{Code: 451, Enhanced: "4.4.3", Text: "address lookup for " + h.Name + " failed: " + err.Error()}
			continue
		}
		for _, a := range addrs {
			target := net.JoinHostPort(a.String(), strconv.Itoa(port))
			dctx, cancel := d.Env.WithTimeout(ctx, timeout)
			conn, err := d.Env.Dial(dctx, "tcp", target)
			cancel()
			if d.Attempt != nil {
				d.Attempt(target, err)
			}
			if err != nil {
				last = reply.Reply{Code: 451, Enhanced: "4.4.1", Text: fmt.Sprintf("connect to %s (%s) failed: %v", h.Name, target, err)}
				continue
			}
			replies, err := d.transact(ctx, conn, h.Name, env, data)
			if err != nil {
				rp := reply.From(err, reply.Reply{Code: 451, Enhanced: "4.4.2", Text: "session with " + h.Name + " failed"})
				if rp.Permanent() {
					return all(*rp, h.Name)
				}
				last = *rp
				continue
			}
			for i := range out {
				out[i] = Outcome{Rcpt: env.To[i], Reply: replies[i], Host: h.Name}
			}
			return out
		}
	}
	return all(last, "")
}

func (d *Deliverer) transact(ctx context.Context, conn net.Conn, host string, env *Envelope, data []byte) ([]reply.Reply, error) {
	s, err := d.Open(ctx, conn, host)
	if err != nil {
		conn.Close()
		return nil, err
	}
	defer s.Close()
	replies, err := s.Send(ctx, env, data)
	if err == nil && len(replies) != len(env.To) {
		err = fmt.Errorf("deliver: session answered %d of %d recipients", len(replies), len(env.To))
	}
	return replies, err
}
