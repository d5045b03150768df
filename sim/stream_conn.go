package sim

// This file holds Conn, the net.Conn of a simulated stream, and its user
// side: Read, Write, the closes and the deadlines. The protocol engine that
// moves its bytes is in stream_input.go and stream_output.go.

import (
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

type connState uint8

const (
	stateSynSent  connState = iota // dialled, waiting for SYN-ACK
	stateSynRcvd                   // SYN received by a listener, waiting for the ACK
	stateOpen                      // established, either direction possibly shut
	stateTimeWait                  // both FINs acknowledged; re-acknowledges a lost last ACK
	stateClosed                    // released: no port, no timers
)

// Conn is one end of a simulated stream connection, what Env.Dial and
// (*Listener).Accept return on a simulated node. Like *net.TCPConn it can
// shut one direction with CloseWrite or CloseRead. Its methods may block
// only inside a simulated task; they must not be called concurrently from
// several goroutines, which the simulator never does.
type Conn struct {
	s       *Sim
	n       *Node
	inc     uint64 // the node's incarnation: a crash makes the connection stale
	cfg     StreamConfig
	ln      *Listener // the listener that demultiplexes for it, nil when dialled
	network string
	local   netip.AddrPort
	remote  netip.AddrPort
	laddr   *net.TCPAddr
	raddr   *net.TCPAddr
	state   connState

	// Send side.
	iss      uint64
	sndUna   uint64 // oldest unacknowledged sequence number
	sndNxt   uint64 // next to send; goes back to sndUna on a timeout
	sndMax   uint64 // one past the highest sequence number ever sent
	sndLimit uint64 // right edge of the peer's window (ack + window)
	sndBase  uint64 // sequence number of snd's first byte
	snd      byteQueue
	cwnd     uint64 // bytes allowed in flight beyond sndUna
	wrShut   bool   // CloseWrite or Close: a FIN follows the buffered bytes
	dupAcks  int
	recovery bool   // after a fast retransmit, until recover is acknowledged
	recover  uint64 // sndMax when the fast retransmit happened

	// Receive side.
	irs        uint64
	rcvNxt     uint64
	rcv        byteQueue
	ooo        []oooSeg // out-of-order segments, sorted by seq
	finRcvd    bool
	rdShut     bool   // CloseRead or Close: received bytes are discarded
	closed     bool   // Close was called
	advRight   uint64 // right edge of the window last advertised
	ackPending bool
	ackQueued  bool

	// Retransmission (RFC 6298, with Karn's rule).
	rto, srtt, rttvar time.Duration
	timing            bool
	timedSeq          uint64
	timedAt           time.Duration
	retries           int
	sentAt            time.Duration // last transmission of data, SYN or FIN
	heardAt           time.Duration // last segment from the peer
	stallSince        time.Duration // since when the oldest unacknowledged byte waits
	rtxOn, rtxQueued  bool
	rtxAt             time.Duration
	rtxQueuedAt       time.Duration
	lingering         bool

	err    error // syscall.Errno that ended the connection, if any
	rdl    deadline
	wdl    deadline
	rq, wq waitQ
	timers [nTimers]connTimer
	tgen   [nTimers]uint64
}

var _ net.Conn = (*Conn)(nil)

func newConn(n *Node, network string, cfg StreamConfig) *Conn {
	c := &Conn{s: n.s, n: n, inc: n.inc, cfg: cfg, network: network}
	for k := range c.timers {
		c.timers[k] = connTimer{c: c, k: timerKind(k)}
	}
	c.rto = cfg.RTOInitial
	c.cwnd = uint64(cfg.InitialWindow * cfg.MSS)
	return c
}

// setAddrs fixes the two endpoints.
func (c *Conn) setAddrs(local, remote netip.AddrPort) {
	c.local, c.remote = local, remote
	c.laddr = net.TCPAddrFromAddrPort(local)
	c.raddr = net.TCPAddrFromAddrPort(remote)
}

// stale reports that the node crashed since the connection was opened: its
// state is gone, whatever this struct still says.
func (c *Conn) stale() bool { return c.inc != c.n.inc }

// LocalAddr returns the local address, a *net.TCPAddr.
func (c *Conn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr returns the peer's address, a *net.TCPAddr.
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

// Read reads received bytes in order, blocking the task until some arrive,
// the peer shuts its side (io.EOF), the connection fails or the read
// deadline passes.
func (c *Conn) Read(p []byte) (int, error) {
	for {
		switch {
		case c.closed || c.stale():
			return 0, c.opErr("read", net.ErrClosed)
		case c.rdl.expired(c.s.now):
			return 0, c.opErr("read", os.ErrDeadlineExceeded)
		case len(p) == 0:
			return 0, nil
		case c.err != nil:
			// Like a real stack, a reset discards what was not read.
			return 0, c.opErr("read", os.NewSyscallError("read", c.err))
		case c.rcv.len() > 0:
			k := copy(p, c.rcv.bytes())
			c.rcv.drop(k)
			c.windowUpdate()
			return k, nil
		case c.finRcvd || c.rdShut:
			return 0, io.EOF
		}
		c.blockUntil(tmRead, &c.rdl)
		c.rq.park(c.s, "Conn.Read", "tcp read")
	}
}

// Write queues p for sending, blocking the task while the send buffer is
// full. It returns when every byte is queued (not delivered), or with the
// count queued so far when the connection fails or the write deadline
// passes.
func (c *Conn) Write(p []byte) (int, error) {
	n := 0
	for {
		switch {
		case c.closed || c.stale():
			return n, c.opErr("write", net.ErrClosed)
		case c.wdl.expired(c.s.now):
			return n, c.opErr("write", os.ErrDeadlineExceeded)
		case c.err != nil:
			return n, c.opErr("write", os.NewSyscallError("write", c.err))
		case c.wrShut:
			return n, c.opErr("write", os.NewSyscallError("write", syscall.EPIPE))
		case len(p) == 0:
			return n, nil
		}
		if room := c.cfg.SendBuffer - c.snd.len(); room > 0 {
			k := min(room, len(p))
			c.snd.push(p[:k])
			p = p[k:]
			n += k
			c.output()
			continue
		}
		c.blockUntil(tmWrite, &c.wdl)
		c.wq.park(c.s, "Conn.Write", "tcp write")
	}
}

// Close closes both directions: bytes already written are still delivered,
// followed by a FIN. Received bytes nobody read, or bytes that arrive
// afterwards, make it reset the connection instead, so the peer learns that
// they were not read. It never blocks.
func (c *Conn) Close() error {
	if c.closed {
		return c.opErr("close", net.ErrClosed)
	}
	c.closed = true
	c.rdShut = true
	c.rq.wake(c.s)
	c.wq.wake(c.s)
	if c.state == stateClosed || c.stale() || c.s.silenced() {
		// Gone already, or a killed task unwinding: no side effects.
		return nil
	}
	if c.rcv.len() > 0 {
		c.rcv.reset()
		c.abort()
		return nil
	}
	c.shutWrite()
	return nil
}

// CloseWrite shuts the sending direction: the peer reads the bytes written
// so far, then io.EOF, and can still write back.
func (c *Conn) CloseWrite() error {
	switch {
	case c.closed || c.stale():
		return c.opErr("close", net.ErrClosed)
	case c.err != nil:
		return c.opErr("close", os.NewSyscallError("shutdown", c.err))
	}
	if !c.wrShut && c.state != stateClosed && !c.s.silenced() {
		c.shutWrite()
	}
	c.wq.wake(c.s)
	return nil
}

// CloseRead shuts the receiving direction: Read returns io.EOF, and bytes
// that arrive are acknowledged and discarded.
func (c *Conn) CloseRead() error {
	if c.closed || c.stale() {
		return c.opErr("close", net.ErrClosed)
	}
	c.rdShut = true
	c.rcv.reset()
	c.rq.wake(c.s)
	return nil
}

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets when a blocked or future Read fails with
// os.ErrDeadlineExceeded. t is read on the node's clock and becomes the
// virtual instant that far from now; the zero time clears it. It takes
// effect on a Read already blocked.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if c.closed {
		return c.opErr("set", net.ErrClosed)
	}
	c.rdl = virtualDeadline(c.n, t)
	c.retime(tmRead, &c.rdl, &c.rq)
	return nil
}

// SetWriteDeadline is SetReadDeadline for Write.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if c.closed {
		return c.opErr("set", net.ErrClosed)
	}
	c.wdl = virtualDeadline(c.n, t)
	c.retime(tmWrite, &c.wdl, &c.wq)
	return nil
}

// retime moves the deadline timer of tasks already blocked.
func (c *Conn) retime(k timerKind, d *deadline, q *waitQ) {
	if !q.waiting() {
		return
	}
	if d.set {
		c.arm(k, d.at)
	} else {
		c.disarm(k)
	}
}

func (c *Conn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: c.network, Source: c.laddr, Addr: c.raddr, Err: err}
}
