package mailsim

// This file is the destination MTAs' store: our SMTP server over a
// mailbox that appends each message to a file on the node's simulated
// disk and syncs it before answering 250.

import (
	"context"
	"encoding/binary"
	"os"
	"strings"
	"time"

	"github.com/edgelab/edgelab/mail/smtp"
	"github.com/edgelab/edgelab/sim/env"
)

// Delivered is one message a mailbox holds: synced to its disk before the
// 250 that acknowledged it.
type Delivered struct {
	Node string
	// From is the envelope reverse-path ("" for a bounce); To the
	// envelope recipients.
	From string
	To   []string
	Data []byte
	At   time.Time // on the mailbox's clock
}

// mailbox is the smtp.Backend of a destination (and of each sender's
// return path): mail to its domains' known users is stored, unknown users
// get 550 5.1.1, other domains 550 5.7.1.
type mailbox struct {
	env     env.Env
	domains []string
	// users are the local parts that exist; nil means every local part.
	users map[string]bool
	// store is the world's view of what the mailbox file durably holds.
	store func(Delivered)
	// greylist, if not nil, holds the (client, sender, recipient) triples
	// seen: the first attempt of each is deferred.
	greylist map[string]bool
}

var (
	okReply = smtp.Reply{}
)

func (m *mailbox) Mail(context.Context, *smtp.SessionInfo, smtp.Path, smtp.MailParams) smtp.Reply {
	return okReply
}

func (m *mailbox) Rcpt(_ context.Context, si *smtp.SessionInfo, env *smtp.Envelope, to smtp.Recipient) smtp.Reply {
	ours := false
	for _, d := range m.domains {
		if strings.EqualFold(to.Path.Domain, d) {
			ours = true
		}
	}
	if !ours {
		return smtp.Reply{Code: 550, Enhanced: smtp.EnhancedCode{5, 7, 1}, Lines: []string{"relaying denied"}}
	}
	if m.users != nil && !m.users[strings.ToLower(to.Path.Local)] {
		return smtp.Reply{Code: 550, Enhanced: smtp.EnhancedCode{5, 1, 1}, Lines: []string{"no such user"}}
	}
	if m.greylist != nil {
		k := si.ClientIP.String() + " " + env.From.String() + " " + strings.ToLower(to.Path.String())
		if !m.greylist[k] {
			m.greylist[k] = true
			return smtp.Reply{Code: 451, Enhanced: smtp.EnhancedCode{4, 7, 1}, Lines: []string{"greylisted, try again later"}}
		}
	}
	return okReply
}

func (m *mailbox) Data(_ context.Context, _ *smtp.SessionInfo, msg *smtp.Message) smtp.Reply {
	d := Delivered{Node: m.env.Node(), From: msg.From.String(), Data: msg.Data, At: m.env.Now()}
	for _, r := range msg.Rcpts {
		d.To = append(d.To, r.Path.String())
	}
	if err := m.append(d); err != nil {
		return smtp.Reply{Code: 451, Enhanced: smtp.EnhancedCode{4, 3, 0}, Lines: []string{"mailbox write failed"}}
	}
	m.store(d)
	return okReply
}

// append writes d as one length-prefixed record and syncs it.
func (m *mailbox) append(d Delivered) error {
	f, err := m.env.Disk().OpenFile("mbox", os.O_WRONLY|os.O_CREATE|os.O_APPEND)
	if err != nil {
		return err
	}
	defer f.Close()
	rec := binary.AppendUvarint(nil, uint64(len(d.From)))
	rec = append(rec, d.From...)
	rec = binary.AppendUvarint(rec, uint64(len(d.To)))
	for _, t := range d.To {
		rec = binary.AppendUvarint(rec, uint64(len(t)))
		rec = append(rec, t...)
	}
	rec = binary.AppendUvarint(rec, uint64(len(d.Data)))
	rec = append(rec, d.Data...)
	if _, err := f.Write(rec); err != nil {
		return err
	}
	return f.Sync()
}
