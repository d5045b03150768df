package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// ClientConn runs a ClientSession over a connection: it writes what the
// session says, reads with deadlines from the session's timeouts (and the
// caller's context) on Env time, and performs STARTTLS.
type ClientConn struct {
	env  env.Env
	conn net.Conn
	sess *ClientSession
	tls  *tls.Config
	buf  []byte
}

// Dial connects to address ("host:port") through the Env and runs the
// session up to its first idle point (greeting, EHLO or HELO, STARTTLS
// when configured).
func Dial(ctx context.Context, e env.Env, address string, cfg ClientConfig, tlsConfig *tls.Config) (*ClientConn, error) {
	c, err := e.Dial(ctx, "tcp", address)
	if err != nil {
		return nil, err
	}
	cc, err := NewClientConn(ctx, e, c, cfg, tlsConfig)
	if err != nil {
		c.Close()
		return nil, err
	}
	return cc, nil
}

// NewClientConn starts a session on an open connection and runs it up to
// its first idle point. tlsConfig is needed only with cfg.StartTLS.
func NewClientConn(ctx context.Context, e env.Env, c net.Conn, cfg ClientConfig, tlsConfig *tls.Config) (*ClientConn, error) {
	if cfg.StartTLS && tlsConfig == nil {
		return nil, errors.New("smtp: StartTLS configured without a TLS configuration")
	}
	cc := &ClientConn{env: e, conn: c, sess: NewClientSession(cfg, e.Now()), tls: tlsConfig, buf: make([]byte, 16<<10)}
	if _, err := cc.run(ctx); err != nil {
		return nil, err
	}
	return cc, nil
}

// Session is the underlying session (for its extensions and TLS state).
func (cc *ClientConn) Session() *ClientSession { return cc.sess }

// Send delivers one message and returns its per-recipient result. The
// error is a session failure (the connection is then unusable); refusals
// are in the Result.
func (cc *ClientConn) Send(ctx context.Context, env *Envelope, data []byte) (*Result, error) {
	if err := cc.sess.Send(cc.env.Now(), env, data); err != nil {
		if rd := cc.sess.Ready(); rd.Result != nil {
			return rd.Result, nil
		}
		return nil, err
	}
	return cc.run(ctx)
}

// Quit sends QUIT, waits for the reply and closes the connection.
func (cc *ClientConn) Quit(ctx context.Context) error {
	cc.sess.Quit(cc.env.Now())
	_, err := cc.run(ctx)
	cc.conn.Close()
	return err
}

// Close hangs up without QUIT.
func (cc *ClientConn) Close() error { return cc.conn.Close() }

// run drives the session until it is idle with nothing left to write,
// returning the transaction result that came on the way.
func (cc *ClientConn) run(ctx context.Context) (*Result, error) {
	var res *Result
	for {
		rd := cc.sess.Ready()
		if rd.Result != nil {
			res = rd.Result
		}
		if len(rd.Out) > 0 {
			cc.conn.SetWriteDeadline(rd.Deadline)
			if _, err := cc.conn.Write(rd.Out); err != nil {
				return res, err
			}
		}
		switch {
		case rd.Err != nil:
			return res, rd.Err
		case rd.Close:
			return res, nil
		case rd.Idle:
			return res, nil
		case rd.StartTLS:
			tc := tls.Client(cc.conn, cc.tls)
			cc.conn.SetDeadline(rd.Deadline)
			if err := tc.HandshakeContext(ctx); err != nil {
				return res, err
			}
			cc.conn.SetDeadline(time.Time{})
			cc.conn = tc
			cc.sess.TLSStarted(cc.env.Now())
			continue
		}
		deadline := rd.Deadline
		// A context's deadline need not be on this node's clock (an env's
		// WithTimeout reports it on the simulation's true timeline, which
		// a skewed or jumped node clock does not read), while the
		// connection's deadline is. One that reads as already past while
		// the context still runs would time every Read out at once and
		// spin here without time moving, so it only ever shortens a
		// deadline that lies ahead; the session's own timeouts bound the
		// rest.
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) && d.After(cc.env.Now()) {
			deadline = d
		}
		cc.conn.SetReadDeadline(deadline)
		n, err := cc.conn.Read(cc.buf)
		if n > 0 {
			cc.sess.Receive(cc.env.Now(), cc.buf[:n])
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				// The deadline passed on the connection's timer, which a
				// clock stepped back does not delay (as a monotonic clock
				// would not): the session is due at least that far.
				now := cc.env.Now()
				if now.Before(deadline) {
					now = deadline
				}
				cc.sess.Tick(now)
				continue
			}
			if n > 0 {
				// Take what came with the hang-up before reporting it.
				if rd := cc.sess.Ready(); rd.Result != nil || rd.Idle || rd.Close {
					if rd.Result != nil {
						res = rd.Result
					}
					return res, nil
				}
			}
			return res, err
		}
	}
}
