// Package queue runs store-and-forward delivery over the spool: each
// spooled recipient is tried, retried after a failure with exponential
// backoff and jitter (drawn from the Env), and after the give-up time, or
// on a permanent failure, bounced to the original sender with a DSN that
// is itself spooled before the original is marked done, so nothing
// acknowledged is ever lost. The null sender never gets a bounce.
package queue

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/mail/deliver"
	"github.com/edgelab/edgelab/mail/dsn"
	"github.com/edgelab/edgelab/mail/mailfacts"
	"github.com/edgelab/edgelab/mail/reply"
	"github.com/edgelab/edgelab/mail/spool"
	"github.com/edgelab/edgelab/mail/srs"
	"github.com/edgelab/edgelab/sim/env"
)

// Delivering is what the queue needs of a deliverer.
type Delivering interface {
	Deliver(ctx context.Context, domain string, env *deliver.Envelope, data []byte) []deliver.Outcome
}

// Config tunes retries. Zero fields take the defaults shown.
type Config struct {
	// FirstRetry is the delay after the first failure (1 minute); each
	// further failure doubles it up to MaxRetry (1 hour). Each delay is
	// scaled by a random factor in [0.5, 1.5).
	FirstRetry, MaxRetry time.Duration
	// GiveUp is how long after arrival a recipient is bounced (5 days).
	GiveUp time.Duration
	// Hostname names this MTA in DSNs; Postmaster is their From.
	Hostname, Postmaster string
	// SRS, if set, reverses a bounce recipient that is one of its SRS
	// addresses (the forwarded message's envelope sender) so the DSN goes
	// straight to the original sender.
	SRS *srs.Rewriter
	// Bugs switches on seeded bugs (bugs.go); zero in production.
	Bugs Bugs
}

func (c Config) withDefaults() Config {
	if c.FirstRetry == 0 {
		c.FirstRetry = time.Minute
	}
	if c.MaxRetry == 0 {
		c.MaxRetry = time.Hour
	}
	if c.GiveUp == 0 {
		c.GiveUp = 5 * 24 * time.Hour
	}
	if c.Hostname == "" {
		c.Hostname = "localhost"
	}
	if c.Postmaster == "" {
		c.Postmaster = "postmaster@" + c.Hostname
	}
	return c
}

// Queue schedules deliveries.
type Queue struct {
	env   env.Env
	spool *spool.Spool
	dlv   Delivering
	log   *activity.Log
	cfg   Config

	mu      sync.Mutex
	entries map[key]*entry
	wake    env.Notifier
}

type key struct {
	id   string
	rcpt int
}

type entry struct {
	msg      *spool.Message
	rcpt     int
	attempts int
	next     time.Time
	last     reply.Reply
}

// New returns a queue over s; log may be nil.
func New(e env.Env, s *spool.Spool, d Delivering, log *activity.Log, cfg Config) *Queue {
	if log == nil {
		log = activity.New(nil, 1)
	}
	return &Queue{env: e, spool: s, dlv: d, log: log, cfg: cfg.withDefaults(),
		entries: map[key]*entry{}, wake: e.NewNotifier()}
}

// Add schedules the pending recipients of a spooled message for now.
func (q *Queue) Add(m *spool.Message, pending []int) {
	now := q.env.Now()
	q.mu.Lock()
	for _, r := range pending {
		q.entries[key{m.ID, r}] = &entry{msg: m, rcpt: r, next: now}
	}
	q.mu.Unlock()
	q.wake.Notify()
}

// Len is the number of recipients still queued.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.entries)
}

// Run delivers until ctx ends.
func (q *Queue) Run(ctx context.Context) {
	for ctx.Err() == nil {
		next := q.RunDue(ctx)
		// Never longer than the longest backoff: if the clock steps back,
		// a retry time it set earlier lies further ahead than any backoff
		// and RunDue takes it as due.
		wait := q.maxDelay()
		if !next.IsZero() {
			wait = min(max(next.Sub(q.env.Now()), time.Millisecond), wait)
		}
		wctx, cancel := q.env.WithTimeout(ctx, wait)
		q.wake.Wait(wctx)
		cancel()
	}
}

// RunDue attempts every recipient that is due now and returns when the
// next one is due (zero if none is queued).
func (q *Queue) RunDue(ctx context.Context) time.Time {
	now := q.env.Now()
	q.mu.Lock()
	type group struct {
		msg     *spool.Message
		domain  string
		entries []*entry
	}
	groups := map[string]*group{}
	var order []string
	for _, e := range q.entries {
		if e.next.After(now) && e.next.Sub(now) <= q.maxDelay() {
			continue
		}
		to := e.msg.To[e.rcpt]
		domain := to[strings.LastIndexByte(to, '@')+1:]
		k := e.msg.ID + "\x00" + domain
		g := groups[k]
		if g == nil {
			g = &group{msg: e.msg, domain: domain}
			groups[k] = g
			order = append(order, k)
		}
		g.entries = append(g.entries, e)
	}
	q.mu.Unlock()
	sort.Strings(order)
	for _, k := range order {
		g := groups[k]
		// Asked in sorted order (never while ranging over the map), so
		// the run's BUGGIFY draws come in the same order every time.
		if env.Buggify(q.env, "queue: a due delivery waits a round") {
			continue
		}
		sort.Slice(g.entries, func(i, j int) bool { return g.entries[i].rcpt < g.entries[j].rcpt })
		de := &deliver.Envelope{From: g.msg.From, SMTPUTF8: needsUTF8(g.msg), EightBit: eightBit(g.msg.Data)}
		for _, e := range g.entries {
			de.To = append(de.To, g.msg.To[e.rcpt])
		}
		for _, e := range g.entries {
			if q.cfg.Bugs.DoneBeforeDelivery {
				q.spool.Done(ctx, e.msg.ID, e.rcpt)
			}
		}
		var outs []deliver.Outcome
		if env.Buggify(q.env, "queue: a delivery attempt fails before it connects") {
			for _, to := range de.To {
				outs = append(outs, deliver.Outcome{Rcpt: to, Reply: reply.Reply{Code: 451, Enhanced: "4.4.1", Text: "no connection (BUGGIFY)"}})
			}
		} else {
			outs = q.dlv.Deliver(ctx, g.domain, de, g.msg.Data)
		}
		for i, e := range g.entries {
			q.settle(ctx, e, outs[i])
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	var next time.Time
	for _, e := range q.entries {
		if next.IsZero() || e.next.Before(next) {
			next = e.next
		}
	}
	return next
}

func (q *Queue) settle(ctx context.Context, e *entry, o deliver.Outcome) {
	now := q.env.Now()
	rec := activity.Record{Time: now, MessageID: e.msg.ID, From: e.msg.From, To: o.Rcpt,
		IsNDR: e.msg.From == "", Action: "forward", Detail: o.Reply.Error()}
	e.last = o.Reply
	switch {
	case o.Reply.Positive():
		rec.Status, rec.Detail = activity.Forwarded, ""
		q.env.Record(mailfacts.MailDelivered, mailfacts.Message(e.msg.ID), mailfacts.Addr(o.Rcpt), mailfacts.Addr(o.Host))
	case o.Reply.Temporary() && now.Sub(e.msg.Received) < q.cfg.GiveUp:
		e.attempts++
		e.next = now.Add(q.backoff(e.attempts))
		rec.Status = activity.Deferred
		q.log.Add(rec)
		q.env.Record(mailfacts.MailDeferred, mailfacts.Message(e.msg.ID), mailfacts.Addr(o.Rcpt), mailfacts.Code(o.Reply.Code))
		return
	default:
		if err := q.bounce(ctx, e, o); err != nil {
			// Keep the recipient queued: the bounce is not safe yet.
			e.attempts++
			e.next = now.Add(q.backoff(e.attempts))
			rec.Status, rec.Detail = activity.Deferred, "bounce not spooled: "+err.Error()
			q.log.Add(rec)
			return
		}
		rec.Status = activity.Bounced
		q.env.Record(mailfacts.MailBounced, mailfacts.Message(e.msg.ID), mailfacts.Addr(o.Rcpt), mailfacts.Code(o.Reply.Code))
		if e.msg.From == "" {
			rec.Status = activity.DeliveryFailed
		}
	}
	if err := q.spool.Done(ctx, e.msg.ID, e.rcpt); err != nil {
		// Not durably done: it stays queued and may be delivered again
		// after a restart, which is the safe side.
		e.next = now.Add(q.backoff(e.attempts + 1))
		return
	}
	q.mu.Lock()
	delete(q.entries, key{e.msg.ID, e.rcpt})
	q.mu.Unlock()
	q.log.Add(rec)
}

// maxDelay is the longest backoff (MaxRetry times the largest jitter
// factor): a retry time further ahead was set before the clock stepped
// back.
func (q *Queue) maxDelay() time.Duration { return q.cfg.MaxRetry * 3 / 2 }

// backoff is FirstRetry·2^(n-1), capped at MaxRetry, times a factor in
// [0.5, 1.5) from the Env's randomness.
func (q *Queue) backoff(n int) time.Duration {
	if q.cfg.Bugs.NoBackoff {
		return 0
	}
	d := q.cfg.FirstRetry
	for i := 1; i < n && d < q.cfg.MaxRetry; i++ {
		d *= 2
	}
	d = min(d, q.cfg.MaxRetry)
	var b [8]byte
	q.env.Rand().Read(b[:])
	f := 0.5 + float64(binary.BigEndian.Uint64(b[:])>>11)/float64(1<<53)
	return time.Duration(float64(d) * f)
}

// bounce spools a DSN for e to the original sender; a message from the
// null sender (a bounce itself) gets none.
func (q *Queue) bounce(ctx context.Context, e *entry, o deliver.Outcome) error {
	if e.msg.From == "" && !q.cfg.Bugs.BounceNullSender {
		return nil
	}
	status := o.Reply.Enhanced
	if status == "" || status[0] == '2' {
		status = "5.0.0"
	}
	if o.Reply.Temporary() {
		status = "4.4.7" // delivery time expired
	}
	to := e.msg.From
	if q.cfg.SRS != nil {
		if orig, err := q.cfg.SRS.Reverse(to, q.env.Now()); err == nil {
			to = orig
		}
	}
	report, err := dsn.Build(dsn.Report{
		ReportingMTA: q.cfg.Hostname, From: q.cfg.Postmaster, To: to,
		Arrival: e.msg.Received, Date: q.env.Now(),
		Failed: []dsn.Failed{{Recipient: o.Rcpt, Status: status,
			Diagnostic: fmt.Sprintf("%d %s %s", o.Reply.Code, o.Reply.Enhanced, o.Reply.Text), RemoteMTA: o.Host}},
		Original: headerSection(e.msg.Data), HeadersOnly: true,
	})
	if err != nil {
		return err
	}
	var idb [8]byte
	q.env.Rand().Read(idb[:])
	b := &spool.Message{ID: "dsn-" + hex.EncodeToString(idb[:]), From: "", To: []string{to},
		Received: q.env.Now(), Data: report}
	if err := q.spool.Put(ctx, b); err != nil {
		return err
	}
	q.Add(b, []int{0})
	return nil
}

func headerSection(data []byte) []byte {
	s := string(data)
	if i := strings.Index(s, "\r\n\r\n"); i >= 0 {
		return []byte(s[:i+2])
	}
	return data
}

// needsUTF8 reports a message that needs SMTPUTF8 of the next hop: UTF-8
// in the envelope or in the header section (RFC 6531 §3.2, RFC 6532).
func needsUTF8(m *spool.Message) bool {
	for _, s := range append([]string{m.From, string(headerSection(m.Data))}, m.To...) {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return true
			}
		}
	}
	return false
}

func eightBit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
