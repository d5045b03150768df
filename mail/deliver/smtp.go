package deliver

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/edgelab/edgelab/mail/reply"
	"github.com/edgelab/edgelab/mail/smtp"
	"github.com/edgelab/edgelab/sim/env"
)

// SMTP returns an Opener that speaks our SMTP client over the connection.
func SMTP(e env.Env, cfg smtp.ClientConfig) Opener {
	return func(ctx context.Context, conn net.Conn, host string) (Session, error) {
		cc, err := smtp.NewClientConn(ctx, e, conn, cfg, nil)
		if err != nil {
			return nil, asReply(err)
		}
		return smtpSession{cc}, nil
	}
}

type smtpSession struct{ cc *smtp.ClientConn }

func (s smtpSession) Close() error {
	s.cc.Quit(context.Background())
	return s.cc.Close()
}

func splitAddr(a string) smtp.Path {
	if a == "" {
		return smtp.Path{}
	}
	i := strings.LastIndexByte(a, '@')
	return smtp.Path{Local: a[:i], Domain: a[i+1:]}
}

func (s smtpSession) Send(ctx context.Context, env *Envelope, data []byte) ([]reply.Reply, error) {
	se := &smtp.Envelope{From: splitAddr(env.From), Mail: smtp.MailParams{SMTPUTF8: env.SMTPUTF8}}
	if env.EightBit {
		se.Mail.Body = smtp.Body8BitMIME
	}
	for _, to := range env.To {
		se.Rcpts = append(se.Rcpts, smtp.Recipient{Path: splitAddr(to)})
	}
	res, err := s.cc.Send(ctx, se, data)
	if err != nil {
		return nil, asReply(err)
	}
	out := make([]reply.Reply, len(env.To))
	for i := range out {
		switch {
		case i >= len(res.Rcpts):
			out[i] = *asReply(res.Err)
		case res.Rcpts[i].Err != nil:
			out[i] = *asReply(res.Rcpts[i].Err)
		default:
			out[i] = fromSMTP(res.Data)
			if res.Data.IsZero() {
				out[i] = reply.OK
			}
		}
	}
	return out, nil
}

func fromSMTP(r smtp.Reply) reply.Reply {
	return reply.Reply{Code: r.Code, Enhanced: r.Enhanced.String(), Text: r.Text()}
}

// asReply turns the client's errors into replies: a server's refusal keeps
// its code; anything else (a refused extension, a broken connection) is a
// temporary failure, except a message the next hop cannot carry (no
// SMTPUTF8 or 8BITMIME), which is permanent.
func asReply(err error) *reply.Reply {
	if err == nil {
		return &reply.Reply{Code: 451, Enhanced: "4.4.2", Text: "no result"}
	}
	var re *smtp.ReplyError
	if errors.As(err, &re) {
		r := fromSMTP(re.Reply)
		return &r
	}
	var ee *smtp.ExtensionError
	if errors.As(err, &ee) {
		r := fromSMTP(ee.Reply)
		r.Text = ee.Error()
		return &r
	}
	return &reply.Reply{Code: 451, Enhanced: "4.4.2", Text: err.Error()}
}
