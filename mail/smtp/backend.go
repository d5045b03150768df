package smtp

import (
	"context"
	"crypto/tls"
	"net"
	"net/netip"
	"time"
)

// Backend decides what the server accepts, the way an http.Handler decides
// what a web server answers. The server calls it at MAIL, at each RCPT and
// at the end of the data, one call at a time per session and in the order
// the client's commands came, and sends the Reply it returns. A zero Reply
// means "accept" with the server's default text; any other Reply is sent
// as given (a code outside 2xx, 4xx and 5xx becomes 451 4.3.0), so an
// in-session relay can hand back the destination's own answer.
//
// Syntax, sequence, limits and line-ending faults are the server's business
// and never reach the Backend: it sees only well-formed commands within
// the limits and content that is exactly what the client sent, unstuffed.
type Backend interface {
	// Mail is the MAIL command: the reverse-path (null for bounces) and
	// its parameters. A refusal ends the transaction before it starts.
	Mail(ctx context.Context, s *SessionInfo, from Path, params MailParams) Reply
	// Rcpt is one RCPT command; env holds the MAIL and the recipients
	// accepted so far. A refused recipient is not added.
	Rcpt(ctx context.Context, s *SessionInfo, env *Envelope, to Recipient) Reply
	// Data is the end of DATA or of BDAT LAST, with the whole message.
	// A 2xx answer means the message is accepted for every recipient in
	// msg.Envelope; the backend must not say so before the message is
	// safe (delivered, or durably queued).
	Data(ctx context.Context, s *SessionInfo, msg *Message) Reply
}

// SessionEnder is an optional Backend method: End is called once when a
// session is over (QUIT, timeout, error or hang-up), so a backend can free
// what it kept for the session.
type SessionEnder interface {
	End(s *SessionInfo)
}

// SessionInfo describes the client side of one session. The server fills
// it; the Backend reads it.
type SessionInfo struct {
	// ID names the session in logs and traces (random, from the Env).
	ID string
	// RemoteAddr is the client's address as the connection reports it;
	// ClientIP is its IP (invalid if the address has none).
	RemoteAddr net.Addr
	ClientIP   netip.Addr
	// Helo is the name given in the last EHLO or HELO; ESMTP tells which.
	Helo  string
	ESMTP bool
	// TLS is the connection state after STARTTLS, nil in the clear.
	TLS *tls.ConnectionState
	// Started is when the connection was accepted (Env time).
	Started time.Time
}

// Message is one message at the end of its data.
type Message struct {
	Envelope
	// Data is the message exactly as received: DATA's dot-stuffing
	// removed, nothing else changed, CRLF line ends.
	Data []byte
	// EightBit reports octets over 127 in Data; with Envelope.Mail.Body
	// and Envelope.Mail.SMTPUTF8 it tells what a next hop must offer.
	EightBit bool
	// Chunked reports that the data came by BDAT rather than DATA.
	Chunked bool
	// Received is the Env time the data ended.
	Received time.Time
}

// The defaults a zero Reply from the Backend stands for.
var (
	defaultMailReply = reply(250, EnhancedCode{2, 1, 0}, "sender OK")
	defaultRcptReply = reply(250, EnhancedCode{2, 1, 5}, "recipient OK")
	defaultDataReply = reply(250, EnhancedCode{2, 6, 0}, "message accepted")
)

// backendReply applies the default and keeps a backend from sending a
// reply SMTP cannot carry at that point.
func backendReply(r, def Reply) Reply {
	if r.IsZero() {
		return def
	}
	c := r.Code
	if c < 200 || c > 599 || c >= 300 && c < 400 {
		return reply(451, EnhancedCode{4, 3, 0}, "internal error: backend gave an invalid reply")
	}
	return r
}
