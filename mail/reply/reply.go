// Package reply is the SMTP reply a mail decision turns into: a basic
// code (RFC 5321 §4.2), an enhanced status code (RFC 3463) and text. Every
// mail package that can refuse or defer a message returns a *Reply as its
// error, so the session answers with exactly what the decision meant.
package reply

import (
	"errors"
	"fmt"
)

// Reply is an SMTP reply; as an error it is a refusal or deferral.
type Reply struct {
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced"`
	Text     string `json:"text"`
}

// New returns a reply.
func New(code int, enhanced, format string, args ...any) *Reply {
	return &Reply{Code: code, Enhanced: enhanced, Text: fmt.Sprintf(format, args...)}
}

func (r *Reply) Error() string { return fmt.Sprintf("%d %s %s", r.Code, r.Enhanced, r.Text) }

// Temporary reports a 4xx reply: the sender should try again later.
func (r *Reply) Temporary() bool { return r.Code >= 400 && r.Code < 500 }

// Permanent reports a 5xx reply.
func (r *Reply) Permanent() bool { return r.Code >= 500 && r.Code < 600 }

// Positive reports a 2xx reply.
func (r *Reply) Positive() bool { return r.Code >= 200 && r.Code < 300 }

// From returns err's reply, or for an error that carries none, fallback
// with err's text appended: an unexplained failure is never a 2xx.
func From(err error, fallback Reply) *Reply {
	var r *Reply
	if errors.As(err, &r) {
		return r
	}
	f := fallback
	if err != nil {
		f.Text = f.Text + ": " + err.Error()
	}
	return &f
}

// Common replies.
var (
	OK             = Reply{250, "2.0.0", "OK"}
	RelayDenied    = Reply{550, "5.7.1", "relaying denied"}
	LocalError     = Reply{451, "4.3.0", "local error, try again later"}
	NoSuchUser     = Reply{550, "5.1.1", "no such user"}
	NeedsSMTPUTF8  = Reply{553, "5.6.7", "address needs SMTPUTF8"}
	BadDestination = Reply{553, "5.1.3", "bad destination mailbox address syntax"}
)
