package mailsim

// This file builds a run: the nodes, the zone, the router, the
// destinations and the sending MTAs, each on the real service code.

import (
	"context"
	"strings"
	"time"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/mail/arc"
	"github.com/edgelab/edgelab/mail/deliver"
	"github.com/edgelab/edgelab/mail/dkim"
	"github.com/edgelab/edgelab/mail/queue"
	"github.com/edgelab/edgelab/mail/router"
	"github.com/edgelab/edgelab/mail/rules"
	"github.com/edgelab/edgelab/mail/smtp"
	"github.com/edgelab/edgelab/mail/spam"
	"github.com/edgelab/edgelab/mail/spool"
	"github.com/edgelab/edgelab/mail/srs"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/env"
)

// run is one run under construction and, once it has run, its raw
// observations.
type run struct {
	s    *sim.Sim
	cfg  Config
	seed uint64
	bugs Bugs
	end  time.Duration

	srsSecret []byte
	table     *rules.Table

	// routerIncarnations holds one activity log per router boot (the log
	// is shipped off the machine, so a crash loses none of it).
	routerLogs []*activity.Log
	routerQ    *queue.Queue
	senders    []*senderMTA
	mailboxes  []Delivered
	// early are the router's acknowledgements of messages not yet durable
	// (ackWatch).
	early    []string
	attacks  []Attack
	workload []*Message
}

// senderMTA is one sending MTA: its spool and queue, and its activity log
// (the sender's view of what the router answered).
type senderMTA struct {
	i    int
	n    *sim.Node
	q    *queue.Queue
	sp   *spool.Spool
	log  *activity.Log
	mbox *mailbox
	// watch checks the spool's acknowledgements against the disk.
	watch *ackWatch
}

// The rules the router runs: literal addresses, a multi-destination
// forward, a drop, a reject, a forward to a mailbox that no longer exists
// (its bounces come back through SRS), a UTF-8 local part, a catch-all,
// and an IDN domain with a catch-all.
func routingRules() rules.Config {
	m1, m2 := MailboxDomain(1), MailboxDomain(2)
	fwd := func(to ...string) rules.Action { return rules.Action{Type: rules.Forward, To: to} }
	catch := fwd("catchall@" + m1)
	idn := fwd("idn@" + m2)
	cfg := rules.Config{
		Domains: []rules.Domain{
			{Name: OurDomain, Subaddressing: true, CatchAll: &catch, Rules: []rules.Rule{
				{ID: "alice", Local: "alice", Action: fwd("alice@" + m1)},
				{ID: "team", Local: "team", Action: fwd("alice@"+m1, "bob@"+m2)},
				{ID: "void", Local: "void", Action: rules.Action{Type: rules.Drop}},
				{ID: "no", Local: "no", Action: rules.Action{Type: rules.Reject, Reason: "this list is closed"}},
				{ID: "gone", Local: "gone", Action: fwd("gone@" + m2)},
				{ID: "jose", Local: "josé", Action: fwd("jose@" + m1)},
			}},
			{Name: IDNDomain, CatchAll: &idn},
		},
	}
	for _, d := range []string{"alice@" + m1, "bob@" + m2, "gone@" + m2, "catchall@" + m1, "idn@" + m2, "jose@" + m1} {
		cfg.Destinations = append(cfg.Destinations, rules.Destination{Address: d, Verified: true})
	}
	return cfg
}

// mailboxUsers are the users the destination MTAs know ("gone" left).
var mailboxUsers = map[string]bool{"alice": true, "bob": true, "catchall": true, "idn": true, "jose": true}

func (w *run) build() error {
	z, err := w.zone()
	if err != nil {
		return err
	}
	w.s.Node(DNSNode).ServeDNS(z)
	cfg := routingRules()
	cfg.Bugs = w.bugs.Rules
	if w.table, err = rules.Compile(cfg); err != nil {
		return err
	}
	w.buildRouter()
	for j := 1; j <= w.cfg.Dests; j++ {
		domains := []string{MailboxDomain(j)}
		if w.cfg.Dests == 1 {
			domains = append(domains, MailboxDomain(2))
		}
		mb := &mailbox{domains: domains, users: mailboxUsers}
		if w.cfg.Greylist {
			mb.greylist = map[string]bool{}
		}
		w.buildMailServer(w.s.Node(DestNode(j)), mb)
	}
	for i := 1; i <= w.cfg.Senders; i++ {
		w.buildSender(i)
	}
	return nil
}

func (w *run) zone() (*sim.Zone, error) {
	rs, err := w.zoneRecords()
	if err != nil {
		return nil, err
	}
	return sim.NewZone(rs...)
}

// buildMailServer runs our SMTP server over mb on n, again after each
// restart.
func (w *run) buildMailServer(n *sim.Node, mb *mailbox) {
	mb.env = n.Env()
	mb.store = func(d Delivered) { w.mailboxes = append(w.mailboxes, d) }
	n.Start(func(e env.Env) {
		ln, err := e.Listen("tcp", ":25")
		if err != nil {
			return
		}
		srv := &smtp.Server{Env: e, Backend: mb, Config: smtp.ServerConfig{Hostname: e.Node(), Bugs: w.bugs.SMTP}}
		srv.Serve(ln)
	})
}

// deliverer is an MTA's outbound side: MX lookup, AAAA before A, our SMTP
// client.
func (w *run) deliverer(e env.Env, helo string) *deliver.Deliverer {
	return &deliver.Deliverer{Env: e, Open: deliver.SMTP(e, smtp.ClientConfig{Hostname: helo,
		ReplyTimeout: 2 * time.Minute, FinalTimeout: 3 * time.Minute}),
		DialTimeout: 10 * time.Second, Bugs: w.bugs.Deliver}
}

func (w *run) queueConfig(host string) queue.Config {
	return queue.Config{FirstRetry: FirstRetry, MaxRetry: MaxRetry, GiveUp: 24 * time.Hour, Hostname: host, Bugs: w.bugs.Queue}
}

// untilEnd is a context that ends at the run's end, so the queues stop
// and the run can go quiescent.
func (w *run) untilEnd(e env.Env) (context.Context, context.CancelFunc) {
	return e.WithTimeout(context.Background(), max(w.end-w.s.Now(), time.Millisecond))
}

// buildRouter boots the router: the spool recovered from its disk, the
// queue rebuilt from it, the router as our SMTP server's backend.
func (w *run) buildRouter() {
	n := w.s.Node(RouterNode)
	priv := key(w.seed, OurDomain)
	n.Start(func(e env.Env) {
		watched := &ackWatch{Env: e, n: n, found: func(s string) { w.early = append(w.early, s) }}
		log := activity.New(watched, 100000)
		w.routerLogs = append(w.routerLogs, log)
		// A disk fault at boot fails the open; the supervisor starts the
		// process again a little later, as init would.
		sp, stored, _, err := spool.Open(e, "spool", spool.Options{Bugs: w.bugs.Spool})
		for err != nil {
			e.Sleep(5 * time.Second)
			sp, stored, _, err = spool.Open(e, "spool", spool.Options{Bugs: w.bugs.Spool})
		}
		dlv := w.deliverer(e, "mx."+OurDomain)
		q := queue.New(e, sp, dlv, log, w.queueConfig("mx."+OurDomain))
		for _, st := range stored {
			q.Add(st.Msg, st.Pending)
		}
		w.routerQ = q
		r := router.New(watched, router.Config{
			Hostname: "mx." + OurDomain, Mode: router.Store, DNSBL: []string{Blocklist},
			Spam: spam.Scorer{Threshold: 100},
			SRS:  &srs.Rewriter{Domain: OurDomain, Secrets: [][]byte{w.srsSecret}, Bugs: w.bugs.SRS},
			DKIM: &dkim.Signer{Domain: OurDomain, Selector: Selector, Key: priv},
			ARC:  &arc.Sealer{AuthServID: "mx." + OurDomain, Domain: OurDomain, Selector: Selector, Key: priv},
			Bugs: w.bugs.Router,
		}, router.Parts{Table: w.table, Spool: sp, Queue: q, Deliverer: dlv, Log: log})
		ctx, cancel := w.untilEnd(e)
		e.Go("queue", func() { defer cancel(); q.Run(ctx) })
		ln, err := e.Listen("tcp", ":25")
		if err != nil {
			return
		}
		srv := &smtp.Server{Env: e, Backend: r, Config: smtp.ServerConfig{Hostname: "mx." + OurDomain, Bugs: w.bugs.SMTP}, MaxConnsPerIP: 100}
		srv.Serve(ln)
	})
}

// localDelivery hands mail for the sender's own domain (its DSNs) to its
// mailbox directly, and everything else to the network.
type localDelivery struct {
	domain string
	mbox   *mailbox
	net    queue.Delivering
}

func (l localDelivery) Deliver(ctx context.Context, domain string, de *deliver.Envelope, data []byte) []deliver.Outcome {
	if !strings.EqualFold(domain, l.domain) {
		return l.net.Deliver(ctx, domain, de, data)
	}
	out := make([]deliver.Outcome, len(de.To))
	d := Delivered{Node: l.mbox.env.Node(), From: de.From, To: de.To, Data: data, At: l.mbox.env.Now()}
	ok := l.mbox.append(d) == nil
	if ok {
		l.mbox.store(d)
	}
	for i, to := range de.To {
		out[i] = deliver.Outcome{Rcpt: to, Host: "local"}
		out[i].Reply.Code, out[i].Reply.Enhanced = 250, "2.0.0"
		if !ok {
			out[i].Reply.Code, out[i].Reply.Enhanced = 451, "4.3.0"
		}
	}
	return out
}

// buildSender boots sending MTA i: its spool, its queue, and its own
// mailbox server for the mail that comes back.
func (w *run) buildSender(i int) {
	n := w.s.Node(SenderNode(i))
	m := &senderMTA{i: i, n: n}
	m.watch = &ackWatch{Env: n.Env(), n: n, found: func(s string) { w.early = append(w.early, s) }}
	m.log = activity.New(m.watch, 100000)
	w.senders = append(w.senders, m)
	m.mbox = &mailbox{domains: []string{SenderDomain(i)}, env: n.Env(),
		store: func(d Delivered) { w.mailboxes = append(w.mailboxes, d) }}
	n.Start(func(e env.Env) {
		sp, stored, _, err := spool.Open(e, "spool", spool.Options{Bugs: w.bugs.Spool})
		for err != nil {
			e.Sleep(5 * time.Second)
			sp, stored, _, err = spool.Open(e, "spool", spool.Options{Bugs: w.bugs.Spool})
		}
		m.sp = sp
		dlv := localDelivery{domain: SenderDomain(i), mbox: m.mbox, net: w.deliverer(e, "mx."+SenderDomain(i))}
		m.q = queue.New(e, sp, dlv, m.log, w.queueConfig("mx."+SenderDomain(i)))
		for _, st := range stored {
			m.q.Add(st.Msg, st.Pending)
		}
		ctx, cancel := w.untilEnd(e)
		e.Go("queue", func() { defer cancel(); m.q.Run(ctx) })
		ln, err := e.Listen("tcp", ":25")
		if err != nil {
			return
		}
		srv := &smtp.Server{Env: e, Backend: m.mbox, Config: smtp.ServerConfig{Hostname: "mx." + SenderDomain(i)}}
		srv.Serve(ln)
	})
}
