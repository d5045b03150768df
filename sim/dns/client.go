package dns

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"

	"github.com/edgelab/edgelab/sim/env"
	"golang.org/x/net/dns/dnsmessage"
)

// Client is a stub resolver with the method set of *net.Resolver (so it
// is a Resolver) that sends its queries through Exchange. It reproduces
// what Go's own resolver returns for the same answers, including its
// *net.DNSError flags, so that service code cannot tell it from
// net.Resolver, while staying deterministic: queries go out one at a time
// (A, then AAAA), IDs count up, and nothing is random unless Rand is set.
//
// Differences from net.Resolver, all because the simulator has no host
// configuration: there is no /etc/hosts and no search list (every name is
// looked up as fully qualified); addresses are returned in answer order, A
// before AAAA, rather than sorted by RFC 6724 against the host's routes.
type Client struct {
	// Exchange carries one query to the server and returns its answer.
	// When no answer comes (Zone.Answer returned ok=false) it should wait
	// out its timeout in virtual time and return an error for which
	// net.Error's Timeout() is true, such as
	// &net.OpError{Op: "read", Net: "udp", Err: os.ErrDeadlineExceeded}.
	Exchange func(ctx context.Context, query []byte) ([]byte, error)
	// Server names the server in errors ("10.53.0.1:53").
	Server string
	// Attempts is how often a query is tried before giving up on timeouts
	// and SERVFAIL; zero means 2, resolv.conf's default.
	Attempts int
	// Rand, if set, shuffles MX records of equal preference as
	// net.Resolver does; nil keeps answer order.
	Rand *rand.Rand

	lastID uint16
}

var _ env.Resolver = (*Client)(nil)

// query runs one name and type through Exchange, retrying like net's
// tryOneName: a definite answer (records, NXDOMAIN, NODATA) ends it, other
// failures are retried up to Attempts times.
func (c *Client) query(ctx context.Context, name string, qtype dnsmessage.Type) (Answer, error) {
	attempts := c.Attempts
	if attempts <= 0 {
		attempts = 2
	}
	var lastErr error
	for range attempts {
		if err := ctx.Err(); err != nil {
			return Answer{}, errorFrom(ContextError(err), name, "")
		}
		c.lastID++
		q, err := BuildQuery(c.lastID, name, qtype)
		if err != nil {
			return Answer{}, &net.DNSError{Err: errTextMarshal, Name: name}
		}
		resp, err := c.Exchange(ctx, q)
		if err != nil {
			e := errorFrom(err, name, c.Server)
			if _, ok := errors.AsType[*net.OpError](err); ok {
				e.IsTemporary = true // socket-level errors are temporary to net
			}
			lastErr = e
			continue
		}
		ans, err := ParseAnswer(q, resp)
		if err != nil {
			e := err.(*net.DNSError)
			e.Server = c.Server
			if e.IsNotFound {
				return Answer{}, e
			}
			lastErr = e
			continue
		}
		return ans, nil
	}
	return Answer{}, lastErr
}

// errorFrom is net's newDNSError: the flags come from the error itself.
func errorFrom(err error, name, server string) *net.DNSError {
	e := &net.DNSError{Err: err.Error(), Name: name, Server: server}
	if ne, ok := err.(interface {
		Timeout() bool
		Temporary() bool
	}); ok {
		e.IsTimeout, e.IsTemporary = ne.Timeout(), ne.Temporary()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		e.UnwrapErr = err
	}
	return e
}

// ctxError stands for net's errTimeout and errCanceled, which is what a
// lookup reports when its context ends.
type ctxError struct {
	msg     string
	timeout bool
	is      error
}

func (e *ctxError) Error() string        { return e.msg }
func (e *ctxError) Timeout() bool        { return e.timeout }
func (e *ctxError) Temporary() bool      { return e.timeout }
func (e *ctxError) Is(target error) bool { return target == e.is }

// ContextError maps the end of a lookup's context to what net.Resolver
// reports for it (its errTimeout or errCanceled); other errors pass.
func ContextError(err error) error {
	switch err {
	case context.DeadlineExceeded:
		return &ctxError{"i/o timeout", true, context.DeadlineExceeded}
	case context.Canceled:
		return &ctxError{"operation was canceled", false, context.Canceled}
	}
	return err
}

// withName sets the name errors report to the one the caller passed, as
// net does ("example.com", not "example.com.").
func withName(err error, name string) error {
	if e, ok := err.(*net.DNSError); ok {
		e.Name = name
	}
	return err
}

// lookupIP queries qtypes for host and merges the answers like net's
// goLookupIPCNAMEOrder: any addresses win over errors; with none, the
// error reported is the last one for a name given without the final dot
// and the first one for a name given with it.
func (c *Client) lookupIP(ctx context.Context, host string, qtypes ...dnsmessage.Type) ([]net.IPAddr, string, error) {
	if !isDomainName(host) {
		return nil, "", NotFound(host)
	}
	fqdn := absName(host)
	var addrs []net.IPAddr
	cname := ""
	var lastErr error
	for _, qtype := range qtypes {
		ans, err := c.query(ctx, fqdn, qtype)
		if err != nil {
			if lastErr == nil || fqdn == host+"." {
				lastErr = err
			}
			continue
		}
		addrs = append(addrs, ans.IPAddrs()...)
		if cname == "" {
			cname = ans.CanonicalName()
		}
	}
	if len(addrs) == 0 && cname == "" && lastErr != nil {
		return nil, "", withName(lastErr, host)
	}
	return addrs, cname, nil
}

// LookupHost returns host's addresses as strings.
func (c *Client) LookupHost(ctx context.Context, host string) ([]string, error) {
	if host == "" {
		return nil, NotFound(host)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return []string{host}, nil
	}
	addrs, _, err := c.lookupIP(ctx, host, dnsmessage.TypeA, dnsmessage.TypeAAAA)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out, nil
}

// LookupIPAddr returns host's IPv4 and IPv6 addresses.
func (c *Client) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if host == "" {
		return nil, NotFound(host)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return []net.IPAddr{{IP: net.IP(ip.AsSlice()).To16(), Zone: ip.Zone()}}, nil
	}
	addrs, _, err := c.lookupIP(ctx, host, dnsmessage.TypeA, dnsmessage.TypeAAAA)
	return addrs, err
}

// LookupCNAME returns host's canonical name, following CNAMEs; like
// net.Resolver it succeeds for a name with addresses and no CNAME.
func (c *Client) LookupCNAME(ctx context.Context, host string) (string, error) {
	_, cname, err := c.lookupIP(ctx, host, dnsmessage.TypeA, dnsmessage.TypeAAAA, dnsmessage.TypeCNAME)
	if err != nil {
		return "", err
	}
	if !isDomainName(cname) {
		return "", &net.DNSError{Err: errTextMalformed, Name: host}
	}
	return cname, nil
}

// lookup is net's Resolver.lookup for one name and type.
func (c *Client) lookup(ctx context.Context, name string, qtype dnsmessage.Type) (Answer, error) {
	if !isDomainName(name) {
		return Answer{}, NotFound(name)
	}
	ans, err := c.query(ctx, absName(name), qtype)
	return ans, withName(err, name)
}

// LookupMX returns name's MX records sorted by preference. Records whose
// host is not a valid name are dropped and reported, as net does.
func (c *Client) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	ans, err := c.lookup(ctx, name, dnsmessage.TypeMX)
	if err != nil {
		return nil, err
	}
	mxs := ans.MX()
	if c.Rand != nil {
		shuffleTies(mxs, c.Rand)
	}
	kept := make([]*net.MX, 0, len(mxs))
	for _, mx := range mxs {
		if isDomainName(mx.Host) || isIPHost(mx.Host) {
			kept = append(kept, mx)
		}
	}
	if len(kept) != len(mxs) {
		return kept, &net.DNSError{Err: errTextMalformed, Name: name}
	}
	return kept, nil
}

// isIPHost accepts an MX host that is an IP literal with a trailing dot,
// which net tolerates.
func isIPHost(h string) bool {
	if len(h) > 0 && h[len(h)-1] == '.' {
		h = h[:len(h)-1]
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Zone() == ""
}

// shuffleTies shuffles each run of equal preference (RFC 5321 §5.1).
func shuffleTies(mxs []*net.MX, rng *rand.Rand) {
	for i := 0; i < len(mxs); {
		j := i + 1
		for j < len(mxs) && mxs[j].Pref == mxs[i].Pref {
			j++
		}
		run := mxs[i:j]
		rng.Shuffle(len(run), func(a, b int) { run[a], run[b] = run[b], run[a] })
		i = j
	}
}

// LookupTXT returns name's TXT records, each with its strings joined.
func (c *Client) LookupTXT(ctx context.Context, name string) ([]string, error) {
	ans, err := c.lookup(ctx, name, dnsmessage.TypeTXT)
	if err != nil {
		return nil, err
	}
	return ans.TXT(), nil
}

// LookupAddr returns the names for an address, from its PTR records.
// Errors name the reverse (in-addr.arpa or ip6.arpa) name, as net's do.
func (c *Client) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	arpa, err := ReverseName(addr)
	if err != nil {
		return nil, err
	}
	ans, err := c.lookup(ctx, arpa, dnsmessage.TypePTR)
	if err != nil {
		return nil, err
	}
	names := ans.PTR()
	kept := make([]string, 0, len(names))
	for _, n := range names {
		if isDomainName(n) {
			kept = append(kept, n)
		}
	}
	if len(kept) != len(names) {
		return kept, &net.DNSError{Err: errTextMalformed, Name: addr}
	}
	return kept, nil
}

// ReverseName returns the in-addr.arpa. or ip6.arpa. name under which the
// PTR records of addr live.
func ReverseName(addr string) (string, error) {
	ip := net.ParseIP(addr)
	if ip == nil {
		return "", &net.DNSError{Err: "unrecognized address", Name: addr}
	}
	if v4 := ip.To4(); v4 != nil {
		return strconv.Itoa(int(v4[3])) + "." + strconv.Itoa(int(v4[2])) + "." +
			strconv.Itoa(int(v4[1])) + "." + strconv.Itoa(int(v4[0])) + ".in-addr.arpa.", nil
	}
	const hex = "0123456789abcdef"
	buf := make([]byte, 0, len(ip)*4+len("ip6.arpa."))
	for i := len(ip) - 1; i >= 0; i-- {
		buf = append(buf, hex[ip[i]&0xF], '.', hex[ip[i]>>4], '.')
	}
	return string(append(buf, "ip6.arpa."...)), nil
}
