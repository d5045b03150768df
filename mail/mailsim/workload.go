package mailsim

// This file is the workload: the messages the sending MTAs submit, drawn
// from the seed, each with what the rules say must become of it, and the
// attacker's and the spammer's sessions.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/edgelab/edgelab/mail/dkim"
	"github.com/edgelab/edgelab/mail/mailfacts"
	"github.com/edgelab/edgelab/mail/spool"

	"github.com/edgelab/edgelab/sim/env"
)

// Fate is what the rules say must become of a message for one recipient.
type Fate string

const (
	// FateDeliver: delivered to each of the recipient's destinations.
	FateDeliver Fate = "deliver"
	// FateDrop: accepted and dropped by a rule, with a log record.
	FateDrop Fate = "drop"
	// FateReject: refused at RCPT by a rule.
	FateReject Fate = "reject"
	// FateBounce: accepted, refused by the destination, bounced back to
	// the sender through its SRS address.
	FateBounce Fate = "bounce"
	// FateRefuse: refused at the end of data (DMARC p=reject).
	FateRefuse Fate = "refuse"
	// FateUndeliverable: a bounce (null sender) accepted, refused by the
	// destination, and given up with a record: a bounce gets no bounce.
	FateUndeliverable Fate = "undeliverable"
)

// Message is one workload message.
type Message struct {
	ID     string // also its X-Mailsim-ID header and its sender spool ID
	Kind   string
	Sender int
	At     time.Duration
	From   string
	Rcpts  []Rcpt
	// Body is the message as the sender wrote it, before its DKIM
	// signature (added at submission time).
	Body []byte
	Sign bool
}

// Rcpt is one envelope recipient and its fate.
type Rcpt struct {
	Addr string
	Fate Fate
	// Dests are the rule's destinations (for FateRefuse, where it would
	// go if the router could not learn the DMARC policy).
	Dests []string
}

// Kinds lists the workload's message kinds, in draw order.
var Kinds = []string{"plain", "multi", "case", "catchall", "drop", "reject", "gone", "8bit", "utf8", "idn", "large", "unsigned", "subdomain", "spoof", "subaddress", "nullgone"}

func header(from, to, subject, id string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Fri, 4 Dec 2026 00:00:00 +0000\r\nMessage-ID: <%s@mailsim>\r\nX-Mailsim-ID: %s\r\n", from, to, subject, id, id)
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// drawWorkload draws cfg.Messages messages from the seed.
func drawWorkload(seed uint64, cfg Config) []*Message {
	rng := rand.New(rand.NewPCG(seed, 0x6d61696c))
	m1, m2 := MailboxDomain(1), MailboxDomain(2)
	var out []*Message
	for k := range cfg.Messages {
		i := 1 + rng.IntN(cfg.Senders)
		kind := Kinds[rng.IntN(len(Kinds))]
		id := fmt.Sprintf("w%d", k+1)
		m := &Message{ID: id, Kind: kind, Sender: i, At: time.Duration(rng.Int64N(int64(cfg.Spread))),
			From: "user@" + SenderDomain(i), Sign: true}
		if cfg.Bursts > 0 {
			// Burst b of Bursts starts at b/Bursts of the spread.
			m.At = cfg.Spread * time.Duration(k%cfg.Bursts) / time.Duration(cfg.Bursts)
		}
		fromHdr := m.From
		subject := "mailsim " + id + " " + kind
		body := "Hello from the mail world.\r\n.a line that starts with a dot\r\n"
		var extra []string
		deliver := func(addr string, dests ...string) {
			m.Rcpts = append(m.Rcpts, Rcpt{Addr: addr, Fate: FateDeliver, Dests: dests})
		}
		switch kind {
		case "plain":
			deliver("alice@"+OurDomain, "alice@"+m1)
		case "multi":
			deliver("team@"+OurDomain, "alice@"+m1, "bob@"+m2)
			m.Rcpts = append(m.Rcpts, Rcpt{Addr: "void@" + OurDomain, Fate: FateDrop})
		case "case":
			deliver("Alice@OURS.Example", "alice@"+m1)
		case "catchall":
			deliver(fmt.Sprintf("someone%d@%s", rng.IntN(100), OurDomain), "catchall@"+m1)
		case "subaddress":
			deliver("alice+tag@"+OurDomain, "alice@"+m1)
		case "drop":
			m.Rcpts = append(m.Rcpts, Rcpt{Addr: "void@" + OurDomain, Fate: FateDrop})
		case "reject":
			m.Rcpts = append(m.Rcpts, Rcpt{Addr: "no@" + OurDomain, Fate: FateReject})
		case "gone":
			m.Rcpts = append(m.Rcpts, Rcpt{Addr: "gone@" + OurDomain, Fate: FateBounce, Dests: []string{"gone@" + m2}})
		case "8bit":
			deliver("alice@"+OurDomain, "alice@"+m1)
			extra = []string{"MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"}
			body = "Grüße aus der Mailwelt — ünïcödé, 日本語, \xc3\xa9t\xc3\xa9.\r\n"
		case "utf8":
			m.From = "josé@" + SenderDomain(i)
			fromHdr = m.From
			deliver("josé@"+OurDomain, "jose@"+m1)
			extra = []string{"MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"}
			body = "¡Hola, José! ✓\r\n"
		case "idn":
			deliver("kunde@"+IDNDomainASCII, "idn@"+m2)
		case "large":
			deliver("alice@"+OurDomain, "alice@"+m1)
			var b strings.Builder
			for l := range 4000 {
				fmt.Fprintf(&b, "line %05d of a large message, padded to look like real text.\r\n", l)
			}
			body = b.String()
		case "unsigned":
			m.Sign = false
			deliver("alice@"+OurDomain, "alice@"+m1)
		case "subdomain":
			// From a subdomain, signed by the organizational domain:
			// relaxed DMARC alignment passes.
			fromHdr = "news@news." + SenderDomain(i)
			deliver("alice@"+OurDomain, "alice@"+m1)
		case "nullgone":
			// A bounce of the sender's own, to an address whose mailbox
			// is gone.
			m.From = ""
			m.Rcpts = append(m.Rcpts, Rcpt{Addr: "gone@" + OurDomain, Fate: FateUndeliverable, Dests: []string{"gone@" + m2}})
		case "spoof":
			fromHdr = "ceo@" + StrictDomain
			m.Rcpts = append(m.Rcpts, Rcpt{Addr: "alice@" + OurDomain, Fate: FateRefuse, Dests: []string{"alice@" + m1}})
		}
		var to []string
		for _, r := range m.Rcpts {
			to = append(to, r.Addr)
		}
		m.Body = []byte(header(fromHdr, strings.Join(to, ", "), subject, id, extra...) + body)
		out = append(out, m)
	}
	return out
}

// submit hands m to its sender's queue: signed (unless unsigned), spooled
// and queued, retried while the spool refuses.
func (w *run) submit(m *Message) {
	s := w.senders[m.Sender-1]
	e := s.n.Env()
	data := m.Body
	if m.Sign {
		sig, err := (&dkim.Signer{Domain: SenderDomain(m.Sender), Selector: Selector, Key: key(w.seed, SenderDomain(m.Sender))}).Sign(data, e.Now())
		if err == nil {
			data = append([]byte(sig), data...)
		}
	}
	msg := &spool.Message{ID: m.ID, From: m.From, Received: e.Now(), Data: data}
	for _, r := range m.Rcpts {
		msg.To = append(msg.To, r.Addr)
	}
	for s.sp == nil || s.sp.Put(context.Background(), msg) != nil {
		e.Sleep(time.Second)
	}
	// The submission is taken: the sending MTA must hold it durably.
	if err := s.watch.durable(mailfacts.Message(msg.ID).Digest); err != nil {
		w.early = append(w.early, err.Error())
	}
	idx := make([]int, len(msg.To))
	for i := range idx {
		idx[i] = i
	}
	s.q.Add(msg, idx)
}

func (w *run) schedule() {
	for _, m := range w.workload {
		s := w.senders[m.Sender-1]
		w.s.At(m.At, func() { s.n.Go("submit", func() { w.submit(m) }) })
	}
	w.scheduleAttacks()
}

// sendRaw writes script to the router on a fresh connection and reads
// whatever comes back until the server hangs up or goes quiet.
func sendRaw(e env.Env, addr string, script []string) string {
	ctx, cancel := e.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := e.Dial(ctx, "tcp", addr)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer c.Close()
	var got strings.Builder
	buf := make([]byte, 4096)
	read := func() {
		c.SetReadDeadline(e.Now().Add(20 * time.Second))
		n, _ := c.Read(buf)
		got.Write(buf[:n])
	}
	read()
	for _, part := range script {
		if _, err := c.Write([]byte(part)); err != nil {
			break
		}
		read()
	}
	return got.String()
}
