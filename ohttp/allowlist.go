package ohttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"

	"github.com/edgelab/edgelab/ohttp/bhttp"
)

// IPResolver looks up a host's addresses; *net.Resolver and env.Resolver
// have this method.
type IPResolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// TargetPolicy decides which targets a gateway forwards to. A gateway is
// not an open proxy: a target must match an allow-list entry, and then every
// address it stands for must be public unless the operator allowed its
// range explicitly. That stops a client from using the gateway to reach
// loopback, private or link-local services (SSRF) through a literal
// address, an allowed name that resolves inward, or a rebinding trick.
type TargetPolicy struct {
	// Allow lists the permitted targets as "host" or "host:port"; host may
	// be "*.example.com" (any subdomain, not example.com itself) or "*"
	// (any host), port may be "*". An entry without a port allows only
	// the scheme's default port. Empty allows nothing.
	Allow []string
	// Schemes lists the permitted schemes; empty means https only.
	Schemes []string
	// AllowedPrefixes lists non-public ranges the operator permits anyway,
	// for example 127.0.0.1/32 for a target on the same machine.
	AllowedPrefixes []netip.Prefix
	// Resolver resolves target names so their addresses can be checked.
	// Without one, targets named by host name are refused.
	Resolver IPResolver
}

// Target refusal reasons, wrapped by *TargetError.
var (
	ErrTargetNotAllowed = errors.New("ohttp: target not on the allow-list")
	ErrSchemeNotAllowed = errors.New("ohttp: target scheme not allowed")
	ErrTargetAddress    = errors.New("ohttp: target address is not public")
	ErrTargetResolve    = errors.New("ohttp: target name did not resolve")
	ErrBadAuthority     = errors.New("ohttp: malformed target authority")
)

// TargetError says which target was refused and why.
type TargetError struct {
	Target string
	Err    error
}

func (e *TargetError) Error() string { return fmt.Sprintf("target %q: %v", e.Target, e.Err) }
func (e *TargetError) Unwrap() error { return e.Err }

// Check decides whether the gateway may forward to scheme://authority.
func (p *TargetPolicy) Check(ctx context.Context, scheme, authority string) error {
	fail := func(err error) error { return &TargetError{Target: scheme + "://" + authority, Err: err} }
	// The scheme rule is Binary HTTP's own: a gateway that decoded the
	// request has checked it already, and any other caller gets the same
	// answer rather than a transport's refusal later.
	if !bhttp.ValidScheme(scheme) {
		return fail(fmt.Errorf("%w: %q is not a lowercase scheme", ErrSchemeNotAllowed, scheme))
	}
	if !p.schemeAllowed(scheme) {
		return fail(ErrSchemeNotAllowed)
	}
	host, port, err := splitAuthority(scheme, authority)
	if err != nil {
		return fail(err)
	}
	if !p.listed(host, port, defaultPort(scheme)) {
		return fail(ErrTargetNotAllowed)
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if err := p.checkAddr(addr); err != nil {
			return fail(err)
		}
		return nil
	}
	if p.Resolver == nil {
		return fail(fmt.Errorf("%w: no resolver to check %q", ErrTargetResolve, host))
	}
	addrs, err := p.Resolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrTargetResolve, err))
	}
	if len(addrs) == 0 {
		return fail(fmt.Errorf("%w: no addresses", ErrTargetResolve))
	}
	// Every address must pass: the transport may dial any of them.
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			return fail(fmt.Errorf("%w: bad address %v", ErrTargetResolve, a.IP))
		}
		if err := p.checkAddr(ip); err != nil {
			return fail(fmt.Errorf("%s resolves to %v: %w", host, ip, err))
		}
	}
	return nil
}

// DialControl checks the address a connection is about to use, after the
// transport's own name resolution. Set it as net.Dialer.ControlContext in
// the gateway's transport: it closes the gap between Check's lookup and the
// transport's (DNS rebinding), because it sees the address actually dialed.
func (p *TargetPolicy) DialControl(_ context.Context, network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &TargetError{Target: address, Err: fmt.Errorf("%w: %v", ErrBadAuthority, err)}
	}
	if err := p.checkAddr(ap.Addr()); err != nil {
		return &TargetError{Target: address, Err: err}
	}
	return nil
}

func (p *TargetPolicy) schemeAllowed(scheme string) bool {
	if len(p.Schemes) == 0 {
		return scheme == "https"
	}
	for _, s := range p.Schemes {
		if strings.EqualFold(s, scheme) {
			return true
		}
	}
	return false
}

// listed matches host and port against the allow-list.
func (p *TargetPolicy) listed(host, port, def string) bool {
	for _, e := range p.Allow {
		eh, ep := splitEntry(e)
		if ep == "" && port != def || ep != "" && ep != "*" && ep != port {
			continue
		}
		switch {
		case eh == "*", eh == host:
			return true
		case strings.HasPrefix(eh, "*.") && len(host) > len(eh)-1 && strings.HasSuffix(host, eh[1:]):
			return true
		}
	}
	return false
}

// splitEntry splits an allow-list entry into a normalized host and a port
// ("" if none): "[::1]:8080", "::1", "example.com:443", "*.example.com".
func splitEntry(e string) (host, port string) {
	switch {
	case strings.HasPrefix(e, "["):
		end := strings.IndexByte(e, ']')
		if end < 0 {
			return "", ""
		}
		host, port = e[1:end], strings.TrimPrefix(e[end+1:], ":")
	case strings.Count(e, ":") == 1:
		i := strings.IndexByte(e, ':')
		host, port = e[:i], e[i+1:]
	default:
		host = e
	}
	if port != "" && port != "*" {
		port = normalizePort(port)
	}
	return strings.ToLower(strings.TrimSuffix(host, ".")), port
}

// normalizePort returns the decimal port without leading zeros, or "" if it
// is not a port number.
func normalizePort(s string) string {
	if s == "" || len(s) > 5 {
		return ""
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return ""
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return ""
	}
	return strconv.Itoa(n)
}

// checkAddr refuses addresses that are not public unicast, unless the
// operator allowed their range.
func (p *TargetPolicy) checkAddr(a netip.Addr) error {
	if a.Zone() != "" {
		return fmt.Errorf("%w: %v has a zone", ErrTargetAddress, a)
	}
	a = a.Unmap()
	for _, pr := range p.AllowedPrefixes {
		if pr.Contains(a) {
			return nil
		}
	}
	if why := nonPublic(a); why != "" {
		return fmt.Errorf("%w: %v is %s", ErrTargetAddress, a, why)
	}
	return nil
}

// special lists ranges that netip's predicates do not cover but that are
// not the public Internet either.
var special = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "'this network'"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// nonPublic says why a is not a public unicast address, or "".
func nonPublic(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast(), a.IsLinkLocalMulticast():
		return "multicast"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	for _, s := range special {
		if s.p.Contains(a) {
			return s.why
		}
	}
	// A NAT64 address reaches the IPv4 address embedded in it.
	if nat64.Contains(a) {
		b := a.As16()
		if why := nonPublic(netip.AddrFrom4([4]byte(b[12:]))); why != "" {
			return "NAT64 of " + why
		}
	}
	return ""
}

func defaultPort(scheme string) string {
	if scheme == "http" {
		return "80"
	}
	return "443"
}

// splitAuthority splits an RFC 3986 authority into a lower-cased host
// (brackets removed, trailing dot dropped) and a port (the scheme's default
// if absent). Userinfo is refused: it has no place in a request target.
func splitAuthority(scheme, authority string) (host, port string, err error) {
	if authority == "" || strings.ContainsAny(authority, "@/?#\\ %") {
		return "", "", fmt.Errorf("%w: %q", ErrBadAuthority, authority)
	}
	host, port = authority, ""
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", "", fmt.Errorf("%w: %q", ErrBadAuthority, authority)
		}
		host, port = authority[1:end], strings.TrimPrefix(authority[end+1:], ":")
		if rest := authority[end+1:]; rest != "" && !strings.HasPrefix(rest, ":") {
			return "", "", fmt.Errorf("%w: %q", ErrBadAuthority, authority)
		}
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "", "", fmt.Errorf("%w: %q is not an IPv6 literal", ErrBadAuthority, host)
		}
	} else if i := strings.LastIndexByte(authority, ':'); i >= 0 {
		host, port = authority[:i], authority[i+1:]
		if strings.Contains(host, ":") {
			return "", "", fmt.Errorf("%w: unbracketed IPv6 %q", ErrBadAuthority, authority)
		}
	}
	if port == "" {
		port = defaultPort(scheme)
	} else if port = normalizePort(port); port == "" {
		return "", "", fmt.Errorf("%w: bad port in %q", ErrBadAuthority, authority)
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return "", "", fmt.Errorf("%w: empty host", ErrBadAuthority)
	}
	return host, port, nil
}
