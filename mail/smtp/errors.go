package smtp

import (
	"errors"
	"fmt"
)

// CommandError is a command the server refuses on its syntax or content;
// Reply is what it answers.
type CommandError struct {
	Reply Reply
}

func (e *CommandError) Error() string { return "smtp: " + e.Reply.String() }

func cmdErr(code int, enh EnhancedCode, text string) *CommandError {
	return &CommandError{Reply: reply(code, enh, text)}
}

// ProtocolError is a server's reply stream that does not parse; the
// session cannot continue after it.
type ProtocolError struct {
	Msg  string
	Line string
}

func (e *ProtocolError) Error() string {
	if e.Line == "" {
		return "smtp: protocol error: " + e.Msg
	}
	return fmt.Sprintf("smtp: protocol error: %s: %q", e.Msg, e.Line)
}

// ReplyError is a negative reply the client received. Command names what
// it answered ("MAIL", "RCPT", "DATA", "BDAT", "EHLO", "STARTTLS", ...).
type ReplyError struct {
	Command string
	Reply   Reply
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("smtp: %s refused: %s", e.Command, e.Reply.String())
}

// Code is the reply's three-digit code.
func (e *ReplyError) Code() int { return e.Reply.Code }

// Enhanced is the reply's RFC 3463 code, zero when the server sent none.
func (e *ReplyError) Enhanced() EnhancedCode { return e.Reply.Enhanced }

// Temporary reports a 4xx reply: the same attempt may succeed later.
func (e *ReplyError) Temporary() bool { return e.Reply.Transient() }

// ExtensionError says the message needs an extension the server does not
// offer (SMTPUTF8 for internationalized addresses or headers, 8BITMIME for
// 8-bit content, SIZE for a message over the server's limit). The client
// refuses rather than alter the message; Reply is the status a bounce
// should carry (RFC 6531 §3.5: 5.6.7 for SMTPUTF8, RFC 6152: 5.6.3 for
// 8BITMIME, RFC 1870: 5.3.4 for SIZE).
type ExtensionError struct {
	Extension string
	Reply     Reply
}

func (e *ExtensionError) Error() string {
	return fmt.Sprintf("smtp: server lacks %s: %s", e.Extension, e.Reply.String())
}

// ErrBadContent is wrapped by the client's error for a message whose bytes
// SMTP cannot carry unchanged: a bare CR or LF, or a NUL.
var ErrBadContent = errors.New("smtp: message has a bare CR or LF or a NUL")

// ErrClosed is returned by a session used after it ended.
var ErrClosed = errors.New("smtp: session closed")
