// Package mailfacts names the action facts the mail router records
// through env.Record, so that mail runs produce traces the lab's trace
// tooling reads like any other (the OHTTP services keep theirs the same
// way). Each constant's comment gives its arity and arguments.
//
// Terms used:
//
//	S   = $S                 the session ID (public)
//	mid = ~msg               digest: the router's message ID
//	rcpt, from = $addr       public addresses (an envelope is no secret)
//	code = 'NNN'             an SMTP reply code
//	host = $host             the server a delivery went to
package mailfacts

import (
	"strconv"

	"github.com/edgelab/edgelab/model"
)

const (
	// MailRefused(S, rcpt, code): 3 — a RCPT (or MAIL, with rcpt the
	// sender) was refused with code.
	MailRefused = "MailRefused"
	// MailAccepted(S, mid, from, rcpt): 4 — the message was accepted for
	// rcpt (250 sent at the end of data).
	MailAccepted = "MailAccepted"
	// MailSpooled(mid): 1 — the message is durable in the spool; always
	// before the MailAccepted facts of a store-and-forward message.
	MailSpooled = "MailSpooled"
	// MailDelivered(mid, rcpt, host): 3 — a destination server accepted
	// the message for rcpt.
	MailDelivered = "MailDelivered"
	// MailDeferred(mid, rcpt, code): 3 — a delivery attempt failed
	// temporarily; it will be retried.
	MailDeferred = "MailDeferred"
	// MailBounced(mid, rcpt, code): 3 — the queue gave up on rcpt and
	// spooled a DSN to the sender (or, for the null sender, none).
	MailBounced = "MailBounced"
	// MailDropped(mid, rcpt): 2 — a rule or worker dropped the message
	// for rcpt.
	MailDropped = "MailDropped"
)

// FactArity maps each fact to its number of arguments.
var FactArity = map[string]int{
	MailRefused: 3, MailAccepted: 4, MailSpooled: 1, MailDelivered: 3,
	MailDeferred: 3, MailBounced: 3, MailDropped: 2,
}

// Session is the session term.
func Session(id string) model.Term { return model.NewPub(id) }

// Message is the message term, bound by digest to its ID.
func Message(id string) model.Term { return model.NewFresh("msg").WithDigest([]byte(id)) }

// Addr is an address term.
func Addr(a string) model.Term { return model.NewPub(a) }

// Code is a reply-code term.
func Code(c int) model.Term { return model.NewConst(strconv.Itoa(c)) }
