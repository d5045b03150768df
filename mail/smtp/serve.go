package smtp

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// Server runs ServerSessions over the connections of a listener: each on
// its own Env task, with read deadlines from the session's timeouts, the
// Backend called between reads, and STARTTLS when TLS is set.
type Server struct {
	Env     env.Env
	Backend Backend
	Config  ServerConfig
	// TLS offers STARTTLS with this configuration (real sockets only).
	TLS *tls.Config
	// MaxConnsPerIP refuses a client address's connections beyond this
	// many at once with 421 (20).
	MaxConnsPerIP int
	// WriteTimeout bounds each write to a client (1 minute).
	WriteTimeout time.Duration

	mu        sync.Mutex
	perIP     map[netip.Addr]int
	listeners map[net.Listener]bool
	conns     map[net.Conn]bool
	closed    bool
	ctx       context.Context
	cancel    context.CancelFunc
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("smtp: server closed")

func (s *Server) init() {
	if s.perIP == nil {
		s.perIP = map[netip.Addr]int{}
		s.listeners = map[net.Listener]bool{}
		s.conns = map[net.Conn]bool{}
		s.ctx, s.cancel = context.WithCancel(context.Background())
	}
}

// Serve accepts connections on l until it fails or Close is called.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	s.init()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			return err
		}
		s.Env.Go("smtp-session", func() { s.ServeConn(c) })
	}
}

// Close stops every listener and hangs up on every session.
func (s *Server) Close() error {
	s.mu.Lock()
	s.init()
	s.closed = true
	s.cancel()
	ls := make([]net.Listener, 0, len(s.listeners))
	for l := range s.listeners {
		ls = append(ls, l)
	}
	cs := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
	for _, c := range cs {
		c.Close()
	}
	return nil
}

// track counts c against its address; it reports false over the limit.
func (s *Server) track(c net.Conn, ip netip.Addr) bool {
	limit := s.MaxConnsPerIP
	if limit <= 0 {
		limit = 20
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	s.conns[c] = true
	if s.perIP[ip] >= limit {
		return false
	}
	s.perIP[ip]++
	return true
}

func (s *Server) untrack(c net.Conn, ip netip.Addr, counted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if counted {
		if s.perIP[ip]--; s.perIP[ip] <= 0 {
			delete(s.perIP, ip)
		}
	}
}

// remoteIP is the IP of a connection's peer, invalid if it has none.
func remoteIP(a net.Addr) netip.Addr {
	if a == nil {
		return netip.Addr{}
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	ip, _ := netip.ParseAddr(a.String())
	return ip.Unmap()
}

// sessionID draws a 12-octet random session name from the Env.
func sessionID(e env.Env) string {
	var b [12]byte
	io.ReadFull(e.Rand(), b[:])
	return hex.EncodeToString(b[:])
}

// ServeConn runs one session on c, on the calling task, and closes c.
func (s *Server) ServeConn(c net.Conn) {
	ip := remoteIP(c.RemoteAddr())
	counted := s.track(c, ip)
	defer s.untrack(c, ip, counted)
	defer c.Close()
	s.mu.Lock()
	ctx := s.ctx
	s.mu.Unlock()

	cfg := s.Config
	cfg.TLS = s.TLS != nil
	info := &SessionInfo{ID: sessionID(s.Env), RemoteAddr: c.RemoteAddr(), ClientIP: ip}
	sess := NewServerSession(cfg, info, s.Env.Now())
	if !counted {
		sess.Refuse("too many connections from your address")
	}
	if ender, ok := s.Backend.(SessionEnder); ok {
		defer ender.End(info)
	}
	writeTimeout := s.WriteTimeout
	if writeTimeout <= 0 {
		writeTimeout = time.Minute
	}
	conn := c
	buf := make([]byte, 64<<10)
	eof := false
	// held are replies not yet written. Replies to pipelined MAIL and
	// RCPT commands wait for the next one, so a pipelined transaction's
	// replies leave in one write (RFC 2920 §3.2 lets a server buffer
	// replies as long as it sends them before it blocks on input); they
	// are written before the session reads, hands the Backend a message
	// (which may take long: a relay, a sync) or starts TLS, and at the end.
	var held []byte
	flush := func() bool {
		if len(held) == 0 {
			return true
		}
		conn.SetWriteDeadline(s.Env.Now().Add(writeTimeout))
		_, err := conn.Write(held)
		held = nil // a fresh buffer: the written one may still be in flight
		return err == nil
	}
	for {
		rd := sess.Ready()
		held = append(held, rd.Out...)
		if rd.Request == nil || rd.Request.Kind == RequestData {
			if !flush() {
				return
			}
		}
		switch {
		case rd.Close:
			return
		case rd.Request != nil:
			rp := rd.Request.Call(ctx, s.Backend, info)
			if rd.Request.Kind == RequestData && env.Buggify(s.Env, "smtp: the reply to the data comes late") {
				// The message is taken; its reply is slow to leave, so a
				// cut now loses the 250 the client needed (a duplicate
				// SMTP allows).
				s.Env.Sleep(3 * time.Second)
			}
			sess.Answer(s.Env.Now(), rp)
			continue
		case rd.StartTLS:
			tc := tls.Server(c, s.TLS)
			conn.SetDeadline(s.Env.Now().Add(writeTimeout))
			if err := tc.HandshakeContext(ctx); err != nil {
				return
			}
			conn.SetDeadline(time.Time{})
			conn = tc
			state := tc.ConnectionState()
			sess.TLSStarted(s.Env.Now(), &state)
			continue
		}
		if eof {
			return
		}
		conn.SetReadDeadline(rd.Deadline)
		rb := buf
		if env.Buggify(s.Env, "smtp: the server reads a few bytes at a time") {
			rb = buf[:7] // commands and data split anywhere
		}
		n, err := conn.Read(rb)
		if n > 0 {
			sess.Receive(s.Env.Now(), buf[:n])
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				sess.Tick(s.Env.Now())
				continue
			}
			// The client is gone, but what it sent before going is still
			// answered (a message complete before the hang-up is offered
			// to the Backend); then the session ends.
			eof = true
		}
	}
}
