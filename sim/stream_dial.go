package sim

// This file opens simulated streams: Env.Dial and Env.Listen on a node.
// Addresses are resolved the way the node's HTTP transport resolves URL
// hosts (its HostResolver, by default node names and IP literals), and the
// address family follows the network ("tcp4", "tcp6") or the address.

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
)

func streamFamily(network string) (addrFamily, error) {
	switch network {
	case "tcp":
		return famAny, nil
	case "tcp4":
		return fam4, nil
	case "tcp6":
		return fam6, nil
	}
	return 0, net.UnknownNetworkError(network)
}

func parsePort(s, address string) (uint16, error) {
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, &net.AddrError{Err: "invalid port", Addr: address}
	}
	return uint16(p), nil
}

// ownAddr is the node's own address of family fam, for "localhost" and
// loopback literals: a node has no separate loopback interface.
func (n *Node) ownAddr(fam addrFamily, v6 bool) netip.Addr {
	if fam == fam6 || (fam == famAny && v6) {
		return n.v6
	}
	return n.v4
}

// dialAddr resolves host for a connection of family fam.
func (n *Node) dialAddr(ctx context.Context, fam addrFamily, host string) (netip.Addr, error) {
	var ip netip.Addr
	if host == "" || host == "localhost" {
		return n.ownAddr(fam, false), nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		ip = a.WithZone("").Unmap()
		if ip.IsLoopback() {
			return n.ownAddr(fam, ip.Is6()), nil
		}
	} else {
		resolve := n.hostAddrs
		if resolve == nil {
			resolve = DefaultHostResolver
		}
		if ip, err = resolve(ctx, n.env, host); err != nil {
			return netip.Addr{}, err
		}
		ip = ip.Unmap()
	}
	if (fam == fam4 && !ip.Is4()) || (fam == fam6 && !ip.Is6()) {
		// A simulated node has both families: use its other address.
		owner := n.s.net.NodeByAddr(ip)
		if owner == nil {
			return netip.Addr{}, &net.AddrError{Err: "no suitable address found", Addr: host}
		}
		ip = owner.ownAddr(fam, false)
	}
	return ip, nil
}

// dialStream is Env.Dial on node n: it sends a SYN from an ephemeral port
// and parks the task until the handshake completes, the peer refuses, the
// SYN retries run out or ctx is done.
func (n *Node) dialStream(ctx context.Context, network, address string) (*Conn, error) {
	s := n.s
	t := s.current("Dial")
	if ctx == nil {
		ctx = context.Background()
	}
	dialErr := func(addr net.Addr, err error) error {
		return &net.OpError{Op: "dial", Net: network, Addr: addr, Err: err}
	}
	fam, err := streamFamily(network)
	if err != nil {
		return nil, dialErr(nil, err)
	}
	host, ps, err := net.SplitHostPort(address)
	if err != nil {
		return nil, dialErr(nil, err)
	}
	port, err := parsePort(ps, address)
	if err != nil {
		return nil, dialErr(nil, err)
	}
	ip, err := n.dialAddr(ctx, fam, host)
	if err != nil {
		return nil, dialErr(nil, err)
	}
	remote := netip.AddrPortFrom(ip, port)
	raddr := net.TCPAddrFromAddrPort(remote)
	if err := ctxErr(ctx); err != nil {
		return nil, dialErr(raddr, err)
	}
	if n.down || s.silenced() {
		return nil, dialErr(raddr, errNodeDown)
	}
	c := newConn(n, network, s.net.StreamConfig())
	lport, err := n.ephemeralPort(c)
	if err != nil {
		return nil, dialErr(raddr, err)
	}
	src := n.v4
	if ip.Is6() {
		src = n.v6
	}
	c.setAddrs(netip.AddrPortFrom(src, lport), remote)
	c.iss = initialSeq(n, c.local, c.remote)
	c.sndUna, c.sndNxt, c.sndMax = c.iss, c.iss, c.iss
	c.sndBase = c.iss + 1
	c.state = stateSynSent
	c.sendSyn()
	c.startRtx(s.now + c.rto)
	for c.state == stateSynSent {
		if err := ctxErr(ctx); err != nil {
			c.release()
			return nil, dialErr(raddr, err)
		}
		s.watch(ctx, t)
		c.wq.park(s, "Dial", "tcp connect")
	}
	if c.state == stateClosed {
		err := c.err
		if err == nil {
			err = syscall.ECONNABORTED
		}
		return nil, dialErr(raddr, os.NewSyscallError("connect", err))
	}
	return c, nil
}

// errNodeDown is the error of Dial and Listen on a crashed node.
var errNodeDown = errors.New("sim: node is down")

// listenStream is Env.Listen on node n.
func (n *Node) listenStream(network, address string) (*Listener, error) {
	listenErr := func(err error) error {
		return &net.OpError{Op: "listen", Net: network, Err: err}
	}
	fam, err := streamFamily(network)
	if err != nil {
		return nil, listenErr(err)
	}
	host, ps, err := net.SplitHostPort(address)
	if err != nil {
		return nil, listenErr(err)
	}
	port, err := parsePort(ps, address)
	if err != nil {
		return nil, listenErr(err)
	}
	l := &Listener{s: n.s, n: n, inc: n.inc, cfg: n.s.net.StreamConfig(), network: network, fam: fam,
		conns: make(map[netip.AddrPort]*Conn)}
	l.tm = listenTimer{l: l}
	if l.ip, l.fam, err = n.listenAddr(fam, host); err != nil {
		return nil, listenErr(err)
	}
	if n.down || n.s.silenced() {
		return nil, listenErr(errNodeDown)
	}
	if port == 0 {
		if port, err = n.ephemeralPort(l); err != nil {
			return nil, listenErr(err)
		}
	} else if b, used := n.ports[port]; used {
		old, ok := b.ep.(*Listener)
		if !ok || !old.closed {
			return nil, listenErr(os.NewSyscallError("bind", syscall.EADDRINUSE))
		}
		l.adopt(old)
	}
	n.bind(port, l, false)
	l.port = port
	switch {
	case l.ip.IsValid():
		l.addr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(l.ip, port))
	case l.fam == fam4:
		l.addr = &net.TCPAddr{IP: net.IPv4zero, Port: int(port)}
	default:
		l.addr = &net.TCPAddr{IP: net.IPv6unspecified, Port: int(port)}
	}
	return l, nil
}

// listenAddr checks the host of a listen address: empty or unspecified (a
// wildcard), one of the node's addresses or its name, or loopback.
func (n *Node) listenAddr(fam addrFamily, host string) (netip.Addr, addrFamily, error) {
	switch host {
	case "":
		return netip.Addr{}, fam, nil
	case "localhost", n.name:
		return n.ownAddr(fam, false), fam, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fam, &net.AddrError{Err: "not an address of node " + n.name, Addr: host}
	}
	ip = ip.WithZone("").Unmap()
	switch {
	case (fam == fam4 && !ip.Is4()) || (fam == fam6 && !ip.Is6()):
		return netip.Addr{}, fam, &net.AddrError{Err: "address family mismatch", Addr: host}
	case ip.IsUnspecified():
		if ip.Is4() {
			return netip.Addr{}, fam4, nil
		}
		return netip.Addr{}, fam, nil
	case ip.IsLoopback():
		return n.ownAddr(fam, ip.Is6()), fam, nil
	case ip == n.v4 || ip == n.v6:
		return ip, fam, nil
	}
	return netip.Addr{}, fam, os.NewSyscallError("bind", syscall.EADDRNOTAVAIL)
}
