package sim

// This file holds Listener, the net.Listener of simulated streams. It owns
// a port and demultiplexes the segments arriving there by the peer's
// address: to an existing connection, to a new half-open one for a SYN
// (within the backlog), or to an RST.

import (
	"net"
	"net/netip"
	"os"
	"slices"
	"time"
)

// addrFamily restricts which addresses a listener accepts or a dialer uses.
type addrFamily uint8

const (
	famAny addrFamily = iota // "tcp"
	fam4                     // "tcp4"
	fam6                     // "tcp6"
)

// Listener accepts simulated stream connections on a port of a node; it is
// what Env.Listen returns on a simulated node. Accept blocks the calling
// task. Connections already accepted outlive Close.
type Listener struct {
	s       *Sim
	n       *Node
	inc     uint64
	cfg     StreamConfig
	network string
	port    uint16
	ip      netip.Addr // the bound address; invalid for a wildcard
	fam     addrFamily
	addr    *net.TCPAddr

	conns  map[netip.AddrPort]*Conn // every live connection on the port, by peer
	synq   []*Conn                  // half-open, in arrival order
	ready  []*Conn                  // established, not yet accepted, in order
	closed bool

	aq   waitQ
	dl   deadline
	tm   listenTimer
	tgen uint64
}

var _ net.Listener = (*Listener)(nil)

func (l *Listener) stale() bool { return l.inc != l.n.inc }

// accepts reports whether a SYN sent to dst is for this listener.
func (l *Listener) accepts(dst netip.Addr) bool {
	switch {
	case l.ip.IsValid():
		return dst == l.ip
	case l.fam == fam4:
		return dst.Is4()
	case l.fam == fam6:
		return dst.Is6()
	}
	return true
}

// receive demultiplexes a segment that arrived at the listener's port.
func (l *Listener) receive(m *message) {
	sg, err := parseSegment(m.data)
	if err != nil {
		return
	}
	if c := l.conns[m.src]; c != nil {
		c.input(&sg)
		return
	}
	if sg.flags&flagRST != 0 {
		return
	}
	if sg.flags&(flagSYN|flagACK) != flagSYN || l.closed || !l.accepts(m.dst.Addr()) {
		sendReset(l.n, l.port, m.src, &sg)
		return
	}
	if len(l.synq)+len(l.ready) >= l.cfg.Backlog {
		return // queue full: ignore the SYN, the dialer will retry (Linux)
	}
	c := newConn(l.n, l.network, l.cfg)
	c.ln = l
	c.setAddrs(m.dst, m.src)
	c.state = stateSynRcvd
	c.heardAt = l.s.now
	c.irs = sg.seq
	c.rcvNxt = sg.seq + 1
	c.iss = initialSeq(l.n, c.local, c.remote)
	c.sndUna, c.sndNxt, c.sndMax = c.iss, c.iss, c.iss
	c.sndBase = c.iss + 1
	c.sndLimit = c.iss + 1 + uint64(sg.wnd)
	l.conns[m.src] = c
	l.synq = append(l.synq, c)
	c.sendSynAck()
	c.startRtx(l.s.now + c.rto)
}

// established moves c from the half-open queue to the accept queue.
func (l *Listener) established(c *Conn) {
	l.synq = remove(l.synq, c)
	l.ready = append(l.ready, c)
	l.aq.wake(l.s)
}

// forget drops a released connection; a closed listener gives its port
// back with the last one.
func (l *Listener) forget(c *Conn) {
	if l.conns[c.remote] == c {
		delete(l.conns, c.remote)
	}
	l.synq = remove(l.synq, c)
	l.ready = remove(l.ready, c)
	if l.closed && len(l.conns) == 0 && !l.stale() {
		l.n.unbind(l.port, l)
	}
}

func remove(cs []*Conn, c *Conn) []*Conn {
	if i := slices.Index(cs, c); i >= 0 {
		return slices.Delete(cs, i, i+1)
	}
	return cs
}

// Accept waits for and returns the next established connection.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptStream()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AcceptStream is Accept returning the concrete *Conn.
func (l *Listener) AcceptStream() (*Conn, error) {
	for {
		switch {
		case l.closed || l.stale():
			return nil, l.opErr("accept", net.ErrClosed)
		case len(l.ready) > 0:
			c := l.ready[0]
			l.ready = slices.Delete(l.ready, 0, 1)
			return c, nil
		case l.dl.expired(l.s.now):
			return nil, l.opErr("accept", os.ErrDeadlineExceeded)
		}
		if l.dl.set {
			l.tgen++
			l.s.push(l.dl.at, &l.tm, l.tgen)
		}
		l.aq.park(l.s, "Listener.Accept", "tcp accept")
	}
}

// Close stops listening: a blocked Accept returns net.ErrClosed, queued
// connections nobody accepted are reset, and new SYNs are refused.
// Accepted connections carry on.
func (l *Listener) Close() error {
	if l.closed {
		return l.opErr("close", net.ErrClosed)
	}
	l.closed = true
	l.aq.wake(l.s)
	if l.stale() || l.s.silenced() {
		return nil
	}
	for _, c := range slices.Concat(l.synq, l.ready) {
		c.abort()
	}
	if len(l.conns) == 0 {
		l.n.unbind(l.port, l)
	}
	return nil
}

// Addr returns the listener's address, a *net.TCPAddr; its port is the one
// chosen when Listen asked for port 0.
func (l *Listener) Addr() net.Addr { return l.addr }

// SetDeadline sets when a blocked or future Accept fails with
// os.ErrDeadlineExceeded, like (*net.TCPListener).SetDeadline, in virtual
// time.
func (l *Listener) SetDeadline(t time.Time) error {
	if l.closed {
		return l.opErr("set", net.ErrClosed)
	}
	l.dl = virtualDeadline(l.n, t)
	l.tgen++
	if l.dl.set && l.aq.waiting() {
		l.s.push(l.dl.at, &l.tm, l.tgen)
	}
	return nil
}

func (l *Listener) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: l.network, Addr: l.addr, Err: err}
}

// listenTimer wakes a blocked Accept at the deadline.
type listenTimer struct{ l *Listener }

func (t *listenTimer) fire(s *Sim, n uint64) {
	if t.l.n.paused {
		t.l.n.holdWakeup(entry{at: s.now, a: t, n: n}) // see connTimer.fire
		return
	}
	t.l.aq.wake(s)
}
func (t *listenTimer) dead(n uint64) bool {
	return n != t.l.tgen || t.l.closed || !t.l.aq.waiting()
}

// adopt hands the connections of a closed listener on the same port to l,
// as SO_REUSEADDR lets a server listen again while old connections drain.
func (l *Listener) adopt(old *Listener) {
	for k, c := range old.conns {
		l.conns[k] = c
		c.ln = l
	}
	clear(old.conns)
}
