// Package gosmtptest puts github.com/emersion/go-smtp, an independent
// SMTP implementation, on both ends of the mail router's tests: Sink is a
// go-smtp server on loopback that records what it is sent (a destination
// mail server), and Opener runs deliveries through go-smtp's client. Only
// tests import it.
package gosmtptest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/edgelab/edgelab/mail/deliver"
	"github.com/edgelab/edgelab/mail/reply"
)

// Received is one message a Sink accepted.
type Received struct {
	From string
	To   []string
	Data []byte
}

// Sink is a go-smtp server that accepts everything except what Refuse
// says to refuse.
type Sink struct {
	Addr string // host:port
	mu   sync.Mutex
	msgs []Received
	// Refuse, if set, is asked at each RCPT; a non-nil *gosmtp.SMTPError
	// refuses that recipient.
	Refuse func(rcpt string) *gosmtp.SMTPError
	// DataErr, if set, answers the end of data.
	DataErr func() *gosmtp.SMTPError
	srv     *gosmtp.Server
}

// StartSink listens on network ("tcp4" or "tcp6") loopback.
func StartSink(t testing.TB, network, addr string) *Sink {
	return StartSinkUTF8(t, network, addr, true)
}

// StartSinkUTF8 is StartSink with SMTPUTF8 offered or not.
func StartSinkUTF8(t testing.TB, network, addr string, utf8 bool) *Sink {
	s := &Sink{}
	srv := gosmtp.NewServer(backend{s})
	srv.Domain = "sink.test"
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = utf8
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s %s: %v", network, addr, err)
	}
	s.Addr, s.srv = l.Addr().String(), srv
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Messages returns what the sink accepted so far.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

type backend struct{ s *Sink }

func (b backend) NewSession(*gosmtp.Conn) (gosmtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Sink
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *gosmtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if x.s.Refuse != nil {
		if e := x.s.Refuse(to); e != nil {
			return e
		}
	}
	x.to = append(x.to, to)
	return nil
}
func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if x.s.DataErr != nil {
		if e := x.s.DataErr(); e != nil {
			return e
		}
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, Received{x.from, append([]string(nil), x.to...), b})
	x.s.mu.Unlock()
	return nil
}

// Opener runs deliveries through go-smtp's client.
func Opener(ctx context.Context, conn net.Conn, host string) (deliver.Session, error) {
	c := gosmtp.NewClient(conn)
	if err := c.Hello("router.test"); err != nil {
		c.Close()
		return nil, toReply(err)
	}
	return clientSession{c}, nil
}

type clientSession struct{ c *gosmtp.Client }

func (s clientSession) Close() error { s.c.Quit(); return s.c.Close() }

func (s clientSession) Send(ctx context.Context, env *deliver.Envelope, data []byte) ([]reply.Reply, error) {
	var mo *gosmtp.MailOptions
	if env.SMTPUTF8 || env.EightBit {
		mo = &gosmtp.MailOptions{UTF8: env.SMTPUTF8}
		if env.EightBit {
			mo.Body = gosmtp.Body8BitMIME
		}
	}
	if err := s.c.Mail(env.From, mo); err != nil {
		return nil, toReply(err)
	}
	out := make([]reply.Reply, len(env.To))
	ok := 0
	for i, to := range env.To {
		if err := s.c.Rcpt(to, nil); err != nil {
			out[i] = *toReply(err)
			continue
		}
		out[i] = reply.OK
		ok++
	}
	if ok == 0 {
		s.c.Reset()
		return out, nil
	}
	w, err := s.c.Data()
	if err != nil {
		return nil, toReply(err)
	}
	if _, err := w.Write(data); err != nil {
		return nil, toReply(err)
	}
	if err := w.Close(); err != nil {
		r := toReply(err)
		for i := range out {
			if out[i].Positive() {
				out[i] = *r
			}
		}
	}
	return out, nil
}

func toReply(err error) *reply.Reply {
	var se *gosmtp.SMTPError
	if errors.As(err, &se) {
		enh := ""
		if se.EnhancedCode != (gosmtp.EnhancedCode{}) && se.EnhancedCode != gosmtp.NoEnhancedCode {
			enh = fmt.Sprintf("%d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		}
		return &reply.Reply{Code: se.Code, Enhanced: enh, Text: strings.TrimSpace(se.Message)}
	}
	return &reply.Reply{Code: 451, Enhanced: "4.4.2", Text: err.Error()}
}
