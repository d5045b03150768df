// Package router is the email-routing service: the smtp.Backend that
// decides at MAIL (blocklists), at each RCPT (the domain's rules; never an
// open relay; bounces to SRS addresses reversed) and at the end of data
// (SPF, DKIM, DMARC and ARC; spam score; workers), rewrites what it
// forwards (SRS envelope sender, Authentication-Results, spam score, ARC
// seal, DKIM signature of the forwarding domain), and either relays it in
// the session (the destination's answer is the sender's) or spools it
// durably before answering 250 and lets the queue deliver it. Every
// decision is written to the activity log and recorded as an action fact.
package router

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/mail/addr"
	"github.com/edgelab/edgelab/mail/arc"
	"github.com/edgelab/edgelab/mail/authres"
	"github.com/edgelab/edgelab/mail/deliver"
	"github.com/edgelab/edgelab/mail/dkim"
	"github.com/edgelab/edgelab/mail/dmarc"
	"github.com/edgelab/edgelab/mail/dsn"
	"github.com/edgelab/edgelab/mail/mailfacts"
	"github.com/edgelab/edgelab/mail/queue"
	"github.com/edgelab/edgelab/mail/reply"
	"github.com/edgelab/edgelab/mail/rules"
	"github.com/edgelab/edgelab/mail/smtp"
	"github.com/edgelab/edgelab/mail/spam"
	"github.com/edgelab/edgelab/mail/spf"
	"github.com/edgelab/edgelab/mail/spool"
	"github.com/edgelab/edgelab/mail/srs"
	"github.com/edgelab/edgelab/mail/worker"
	"github.com/edgelab/edgelab/sim/env"
)

// Mode is how accepted mail travels on.
type Mode string

const (
	// Store spools the message durably, answers 250, and delivers from
	// the queue with retries and bounces.
	Store Mode = "store"
	// Relay delivers during the session and answers with the
	// destinations' verdict.
	Relay Mode = "relay"
)

// Config configures a Router.
type Config struct {
	Hostname string
	Mode     Mode
	// DNSBL zones refuse listed clients at MAIL with 554 5.7.1.
	DNSBL []string
	Spam  spam.Scorer
	// KeepSpam delivers spam with its score header instead of refusing it.
	KeepSpam bool
	// AllowUnauthenticated forwards mail that passes neither SPF nor DKIM
	// (by default such mail is refused: forwarding it would launder it).
	AllowUnauthenticated bool
	SRS                  *srs.Rewriter
	DKIM                 *dkim.Signer
	ARC                  *arc.Sealer
	TreeWalk             bool
	WorkerTimeout        time.Duration
	// Bugs switches on seeded bugs (bugs.go); zero in production.
	Bugs Bugs
}

// Router implements smtp.Backend.
type Router struct {
	env     env.Env
	cfg     Config
	table   atomic.Pointer[rules.Table]
	spool   *spool.Spool
	queue   *queue.Queue
	dlv     queue.Delivering
	log     *activity.Log
	workers map[string]worker.Worker

	mu       sync.Mutex
	sessions map[string]*txn
	// delivered remembers, in relay mode, which destinations already took
	// a message that was answered 4xx, so the sender's retry does not
	// deliver it to them twice.
	delivered map[string]time.Time
}

type txn struct {
	listed  *reply.Reply
	from    addr.Path
	targets []target
}

type target struct {
	rcpt string
	dec  rules.Decision
	// bounceTo is the reversed SRS address for a bounce to one of ours.
	bounceTo string
}

// Parts are what a Router runs on; Spool and Queue are needed in Store
// mode, Deliverer always (relay, and the queue's).
type Parts struct {
	Table     *rules.Table
	Spool     *spool.Spool
	Queue     *queue.Queue
	Deliverer queue.Delivering
	Log       *activity.Log
	Workers   map[string]worker.Worker
}

// New returns a router.
func New(e env.Env, cfg Config, p Parts) *Router {
	if cfg.Mode == "" {
		cfg.Mode = Store
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if cfg.WorkerTimeout == 0 {
		cfg.WorkerTimeout = 10 * time.Second
	}
	if p.Log == nil {
		p.Log = activity.New(nil, 1)
	}
	r := &Router{env: e, cfg: cfg, spool: p.Spool, queue: p.Queue, dlv: p.Deliverer, log: p.Log,
		workers: p.Workers, sessions: map[string]*txn{}, delivered: map[string]time.Time{}}
	r.table.Store(p.Table)
	return r
}

// SetTable replaces the rules (the API calls it after every change).
func (r *Router) SetTable(t *rules.Table) { r.table.Store(t) }

func toSMTP(rp *reply.Reply) smtp.Reply {
	var enh smtp.EnhancedCode
	if e, ok := smtp.ParseEnhancedCode(rp.Enhanced); ok {
		enh = e
	}
	return smtp.Reply{Code: rp.Code, Enhanced: enh, Lines: []string{rp.Text}}
}

func pathText(p smtp.Path) string {
	if p.IsNull() {
		return "<>"
	}
	return "<" + p.Local + "@" + p.Domain + ">"
}

func (r *Router) session(id string) *txn {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.sessions[id]
	if t == nil {
		t = &txn{}
		r.sessions[id] = t
	}
	return t
}

// End frees a session's state.
func (r *Router) End(s *smtp.SessionInfo) {
	r.mu.Lock()
	delete(r.sessions, s.ID)
	r.mu.Unlock()
}

func (r *Router) refuse(s *smtp.SessionInfo, who string, rp *reply.Reply) smtp.Reply {
	r.env.Record(mailfacts.MailRefused, mailfacts.Session(s.ID), mailfacts.Addr(who), mailfacts.Code(rp.Code))
	r.log.Add(activity.Record{Time: r.env.Now(), SessionID: s.ID, To: who, Status: activity.Rejected, Detail: rp.Error()})
	return toSMTP(rp)
}

// Mail checks the client against the blocklists (once per session) and
// parses the reverse path.
func (r *Router) Mail(ctx context.Context, s *smtp.SessionInfo, from smtp.Path, params smtp.MailParams) smtp.Reply {
	t := r.session(s.ID)
	if t.listed == nil && len(r.cfg.DNSBL) > 0 && s.ClientIP.IsValid() {
		l, err := spam.CheckDNSBL(ctx, r.env.Resolver(), s.ClientIP, r.cfg.DNSBL)
		switch {
		case l != nil:
			t.listed = l.Refusal()
		case err != nil:
			// The client may be listed where we could not ask: defer
			// this MAIL, and ask again at the next (nothing is cached).
			return r.refuse(s, from.String(), reply.New(451, "4.4.3", "blocklist lookup failed, try again later: %v", err))
		default:
			t.listed = &reply.Reply{}
		}
	}
	if t.listed != nil && t.listed.Code != 0 {
		return r.refuse(s, from.String(), t.listed)
	}
	p, err := addr.ParsePath(pathText(from), addr.Options{SMTPUTF8: params.SMTPUTF8})
	if err != nil {
		return r.refuse(s, from.String(), addrReply(err))
	}
	t.from, t.targets = p, nil
	return smtp.Reply{}
}

func addrReply(err error) *reply.Reply {
	if ae, ok := err.(*addr.Error); ok && ae.Kind == addr.KindNeedsSMTPUTF8 {
		return &reply.NeedsSMTPUTF8
	}
	return reply.New(553, "5.1.3", "%v", err)
}

// Rcpt decides a recipient by the rules.
func (r *Router) Rcpt(ctx context.Context, s *smtp.SessionInfo, e *smtp.Envelope, to smtp.Recipient) smtp.Reply {
	t := r.session(s.ID)
	p, err := addr.ParsePath(pathText(to.Path), addr.Options{SMTPUTF8: e.Mail.SMTPUTF8})
	if err != nil {
		return r.refuse(s, to.Path.String(), addrReply(err))
	}
	rcpt := p.Mailbox.String()
	if r.cfg.SRS != nil && p.Mailbox.Domain.ASCII == strings.ToLower(r.cfg.SRS.Domain) && isSRS(p.Mailbox.Local) {
		orig, err := r.cfg.SRS.Reverse(rcpt, r.env.Now())
		if err != nil {
			return r.refuse(s, rcpt, reply.New(550, "5.1.1", "invalid or expired SRS address"))
		}
		t.targets = append(t.targets, target{rcpt: rcpt, bounceTo: orig, dec: rules.Decision{RuleID: "srs", Action: rules.Action{Type: rules.Forward}}})
		return smtp.Reply{}
	}
	table := r.table.Load()
	if table == nil {
		return r.refuse(s, rcpt, &reply.RelayDenied)
	}
	lookup := p.Mailbox
	if r.cfg.Bugs.CaseSensitiveDomain {
		lookup.Domain.ASCII = to.Path.Domain
	}
	dec, err := table.Resolve(lookup)
	if err != nil {
		return r.refuse(s, rcpt, reply.From(err, reply.RelayDenied))
	}
	t.targets = append(t.targets, target{rcpt: rcpt, dec: dec})
	return smtp.Reply{}
}

func isSRS(local string) bool {
	l := strings.ToUpper(local)
	return len(l) > 5 && (strings.HasPrefix(l, "SRS0") || strings.HasPrefix(l, "SRS1")) && strings.ContainsAny(l[4:5], "=+-")
}

// verdicts are the authentication results of one message.
type verdicts struct {
	spf   spf.Verdict
	dkim  []dkim.Result
	dmarc dmarc.Verdict
	arc   arc.Verdict
	best  string // best DKIM status
}

func (r *Router) authenticate(ctx context.Context, s *smtp.SessionInfo, from addr.Path, data []byte, fromDomain string) verdicts {
	res := r.env.Resolver()
	var v verdicts
	sender := ""
	if !from.Null {
		sender = from.Mailbox.String()
	}
	v.spf = spf.Check(ctx, res, net.IP(s.ClientIP.AsSlice()), s.Helo, sender)
	v.dkim, _ = dkim.Verify(ctx, res, data, r.env.Now())
	v.best = "none"
	var ids []dmarc.Identity
	for _, d := range v.dkim {
		if d.Status == dkim.StatusPass {
			v.best = "pass"
		} else if v.best == "none" {
			v.best = string(d.Status)
		}
		ids = append(ids, dmarc.Identity{Domain: d.Domain, Pass: d.Status == dkim.StatusPass})
	}
	ev := dmarc.Evaluator{Resolver: res, TreeWalk: r.cfg.TreeWalk, Bugs: r.cfg.Bugs.DMARC}
	v.dmarc = ev.Evaluate(ctx, dmarc.Input{From: fromDomain,
		SPF: dmarc.Identity{Domain: v.spf.Domain, Pass: v.spf.Result == spf.Pass}, DKIM: ids}, r.env.Rand())
	v.arc = arc.Verify(ctx, res, data)
	return v
}

func (v verdicts) dkimTemp() bool {
	for _, d := range v.dkim {
		if d.Status == dkim.StatusTempError {
			return true
		}
	}
	return false
}

// dnsTrouble is the 451 for a message whose DMARC outcome a DNS failure
// left open, nil when DNS decided it. A temperror (the policy record, or
// a lookup the evaluation needed, could not be fetched) may hide a
// p=reject policy, so the message is deferred (RFC 7489 §6.6.3 lets the
// receiver answer a temporary failure), unless an identifier that passed
// is the From domain itself: aligned under either alignment mode, that
// message passes whatever the record says. A DMARC fail that a SPF or
// DKIM temperror may have caused is just as undecided when the policy
// would reject it.
func (v verdicts) dnsTrouble(fromDomain string) *reply.Reply {
	switch v.dmarc.Result {
	case dmarc.ResultTempError:
		from := strings.TrimSuffix(strings.ToLower(fromDomain), ".")
		if v.spf.Result == spf.Pass && strings.EqualFold(v.spf.Domain, from) {
			return nil
		}
		for _, d := range v.dkim {
			if d.Status == dkim.StatusPass && strings.EqualFold(d.Domain, from) {
				return nil
			}
		}
		return reply.New(451, "4.7.1", "DMARC policy of %s could not be fetched (%v), try again later", fromDomain, v.dmarc.Err)
	case dmarc.ResultFail:
		if v.dmarc.Disposition == dmarc.DispositionReject && (v.spf.Result == spf.TempError || v.dkimTemp()) {
			return reply.New(451, "4.7.1", "DMARC of %s fails while SPF or DKIM met a DNS failure (spf=%s dkim=%s), try again later", fromDomain, v.spf.Result, v.best)
		}
	}
	return nil
}

func (v verdicts) header(servID, sender string) string {
	h := authres.Header{ServID: servID}
	h.Results = append(h.Results, authres.Result{Method: "spf", Value: string(v.spf.Result),
		Props: []authres.Prop{{Type: "smtp", Name: "mailfrom", Value: sender}}})
	if len(v.dkim) == 0 {
		h.Results = append(h.Results, authres.Result{Method: "dkim", Value: "none"})
	}
	for _, d := range v.dkim {
		h.Results = append(h.Results, authres.Result{Method: "dkim", Value: string(d.Status),
			Props: []authres.Prop{{Type: "header", Name: "d", Value: d.Domain}, {Type: "header", Name: "s", Value: d.Selector}}})
	}
	h.Results = append(h.Results, authres.Result{Method: "dmarc", Value: string(v.dmarc.Result)})
	h.Results = append(h.Results, authres.Result{Method: "arc", Value: string(v.arc.Status)})
	return h.String()
}

// Data authenticates, scores and routes the message.
func (r *Router) Data(ctx context.Context, s *smtp.SessionInfo, msg *smtp.Message) smtp.Reply {
	t := r.session(s.ID)
	targets := t.targets
	t.targets = nil
	now := r.env.Now()
	id := r.newID()
	hdrs, body := splitMessage(msg.Data)
	parsed, _ := mail.ReadMessage(bytes.NewReader(msg.Data))
	var subject, fromDomain string
	if parsed != nil {
		subject = parsed.Header.Get("Subject")
		if list, err := parsed.Header.AddressList("From"); err == nil && len(list) == 1 {
			fromDomain = list[0].Address[strings.LastIndexByte(list[0].Address, '@')+1:]
		}
	}
	sender := ""
	if !t.from.Null {
		sender = t.from.Mailbox.String()
	}
	v := r.authenticate(ctx, s, t.from, msg.Data, fromDomain)
	score := r.cfg.Spam.Score(spam.Auth{SPF: string(v.spf.Result), DKIM: v.best, DMARC: string(v.dmarc.Result)}, hdrs, body)
	base := activity.Record{Time: now, SessionID: s.ID, MessageID: id, From: sender, Subject: subject,
		SPF: string(v.spf.Result), DKIM: v.best, DMARC: string(v.dmarc.Result), ARC: string(v.arc.Status),
		SpamScore: score.Value, Threshold: score.Threshold, IsSpam: score.IsSpam, IsNDR: t.from.Null}
	logAll := func(status, detail string) {
		for _, tg := range targets {
			rec := base
			rec.To, rec.Rule, rec.Action, rec.Status, rec.Detail = tg.rcpt, tg.dec.RuleID, tg.dec.Action.Type, status, detail
			r.log.Add(rec)
		}
	}
	refuse := func(rp *reply.Reply) smtp.Reply {
		logAll(activity.Rejected, rp.Error())
		for _, tg := range targets {
			r.env.Record(mailfacts.MailRefused, mailfacts.Session(s.ID), mailfacts.Addr(tg.rcpt), mailfacts.Code(rp.Code))
		}
		return toSMTP(rp)
	}
	if len(targets) == 0 {
		return toSMTP(reply.New(554, "5.5.1", "no valid recipients"))
	}
	if rp := v.dnsTrouble(fromDomain); rp != nil {
		return refuse(rp)
	}
	if v.dmarc.Result == dmarc.ResultFail && v.dmarc.Disposition == dmarc.DispositionReject {
		return refuse(reply.New(550, "5.7.1", "DMARC policy of %s rejects this message", fromDomain))
	}
	if score.IsSpam && !r.cfg.KeepSpam {
		return refuse(reply.New(550, "5.7.1", "message looks like spam (score %.1f, threshold %.1f)", score.Value, score.Threshold))
	}
	authOK := v.spf.Result == spf.Pass || v.best == "pass"
	authTemp := v.spf.Result == spf.TempError || v.dkimTemp()

	// Decide each target: destinations and headers to add, or (a
	// worker's verdict) a refusal of that recipient alone.
	type out struct {
		tg      target
		dests   []string
		headers []string
		drop    bool
		refused *reply.Reply
	}
	var outs []out
	for _, tg := range targets {
		o := out{tg: tg}
		switch tg.dec.Action.Type {
		case rules.Drop:
			o.drop = true
		case rules.Forward:
			if tg.bounceTo != "" {
				o.dests = []string{tg.bounceTo}
				break
			}
			for _, d := range tg.dec.Destinations {
				o.dests = append(o.dests, d.String())
			}
		case rules.Worker:
			verdict, err := worker.Run(ctx, r.env, r.workers[tg.dec.Action.Worker],
				&worker.Message{From: sender, To: tg.rcpt, Data: msg.Data, Rule: tg.dec.RuleID}, r.cfg.WorkerTimeout)
			if err != nil {
				// Nothing has been spooled or sent: the sender keeps the
				// message and retries.
				rp := reply.From(err, reply.LocalError)
				logAll(activity.Deferred, rp.Error())
				return toSMTP(rp)
			}
			switch verdict.Action {
			case worker.Drop:
				o.drop = true
			case worker.Reject:
				o.refused = reply.New(550, "5.7.1", "%s", orDefault(verdict.Reason, "rejected by worker"))
			case worker.Forward:
				table := r.table.Load()
				for _, d := range verdict.To {
					m, err := addr.ParseMailbox(d, addr.Options{SMTPUTF8: true})
					if err != nil || table == nil || !table.Verified(m) {
						o.refused = reply.New(550, "5.7.1", "worker forwarded to an unverified destination")
						break
					}
					o.dests = append(o.dests, m.String())
				}
			}
			o.headers = verdict.Headers
		}
		if o.refused == nil && !o.drop && !authOK && !r.cfg.AllowUnauthenticated && tg.bounceTo == "" {
			if authTemp {
				// A DNS fault, not the sender, kept SPF or DKIM from
				// passing: it may pass on the retry.
				return refuse(reply.New(451, "4.7.24", "forwarding needs SPF or DKIM to pass; a DNS failure left it undecided (spf=%s dkim=%s), try again later", v.spf.Result, v.best))
			}
			return refuse(reply.New(550, "5.7.1", "forwarding needs SPF or DKIM to pass (spf=%s dkim=%s)", v.spf.Result, v.best))
		}
		outs = append(outs, o)
	}
	// A message refused for every recipient is refused; one refused for
	// some only is accepted for the others, and the refused ones are
	// reported to the sender by a DSN (RFC 5321 §3.6.3: after DATA there
	// is one answer for the whole message), made safe before the 250.
	var verdict outcome
	var failed []dsn.Failed
	for _, o := range outs {
		if o.refused != nil {
			verdict.add(o.refused)
			failed = append(failed, failure(o.tg.rcpt, o.refused, ""))
		}
	}
	if len(failed) == len(outs) {
		return refuse(verdict.perm)
	}
	verdict = outcome{} // the refusals are reported by DSN, as below

	envFrom := sender
	if sender != "" && r.cfg.SRS != nil {
		if rw, err := r.cfg.SRS.Forward(sender, now); err == nil {
			envFrom = rw
		}
	}
	ar := "Authentication-Results: " + v.header(r.cfg.Hostname, sender) + "\r\n"
	scoreHdr := "X-Spam-Score: " + score.Header() + "\r\n"

	if r.cfg.Mode != Relay && len(failed) > 0 {
		// Spooled before the others, so a failure here leaves nothing
		// behind that the sender's retry would duplicate.
		if rp := r.bounce(ctx, id, sender, msg, failed); rp != nil {
			logAll(activity.Deferred, rp.Error())
			return toSMTP(rp)
		}
		failed = nil
	}
	for _, o := range outs {
		rec := base
		rec.To, rec.Rule, rec.Action = o.tg.rcpt, o.tg.dec.RuleID, o.tg.dec.Action.Type
		if o.refused != nil {
			rec.Status, rec.Detail = activity.Rejected, o.refused.Error()
			r.log.Add(rec)
			r.env.Record(mailfacts.MailRefused, mailfacts.Session(s.ID), mailfacts.Addr(o.tg.rcpt), mailfacts.Code(o.refused.Code))
			continue
		}
		if o.drop || len(o.dests) == 0 {
			rec.Status = activity.Dropped
			r.log.Add(rec)
			r.env.Record(mailfacts.MailDropped, mailfacts.Message(id), mailfacts.Addr(o.tg.rcpt))
			verdict.dropped = true
			continue
		}
		var pre strings.Builder
		for _, h := range o.headers {
			pre.WriteString(h + "\r\n")
		}
		pre.WriteString(scoreHdr)
		pre.WriteString(ar)
		data := append([]byte(pre.String()), msg.Data...)
		data = r.seal(ctx, data, now)
		from := envFrom
		if o.tg.bounceTo != "" {
			from = "" // a bounce stays a bounce
		}
		if r.cfg.Mode == Relay {
			for _, f := range r.relay(ctx, id, from, o.dests, data, msg, &rec) {
				verdict.add(&f.Reply)
				if f.Reply.Permanent() {
					failed = append(failed, failure(o.tg.rcpt, &f.Reply, f.Host))
				}
			}
		} else {
			verdict.add(r.store(ctx, id, from, o.dests, data, &rec))
		}
		r.log.Add(rec)
	}
	answer := verdict.answer()
	if answer == nil {
		answer = reply.New(250, "2.0.0", "accepted as %s", id)
	}
	if answer.Positive() && len(failed) > 0 {
		// Relayed to some and refused for good by others' servers: the
		// message is delivered, so the answer is 250 and the failures go
		// back by DSN; if that cannot be made safe, 451 (what was
		// delivered is remembered, so the retry does not repeat it).
		if rp := r.bounce(ctx, id, sender, msg, failed); rp != nil {
			answer = rp
		}
	}
	if answer.Positive() {
		for _, o := range outs {
			if o.refused == nil {
				r.env.Record(mailfacts.MailAccepted, mailfacts.Session(s.ID), mailfacts.Message(id), mailfacts.Addr(sender), mailfacts.Addr(o.tg.rcpt))
			}
		}
	}
	return toSMTP(answer)
}

// outcome combines per-destination answers into the message's one answer
// (RFC 5321 has one reply to the end of data). Any temporary failure
// makes it temporary: the sender retries, and what was relayed is
// remembered so the retry skips it. Else any success makes it a success
// (the permanent failures beside it are reported by DSN, never by a 5xx
// for a message that was partly delivered). Else the first permanent
// failure is the answer. A recipient whose rule dropped the message
// counts as a success that has no reply of its own.
type outcome struct {
	temp, perm, ok *reply.Reply
	dropped        bool
}

func (o *outcome) add(rp *reply.Reply) {
	switch {
	case rp.Temporary():
		if o.temp == nil {
			o.temp = rp
		}
	case rp.Permanent():
		if o.perm == nil {
			o.perm = rp
		}
	default:
		if o.ok == nil {
			o.ok = rp
		}
	}
}

func (o *outcome) answer() *reply.Reply {
	switch {
	case o.temp != nil:
		return o.temp
	case o.ok != nil:
		return o.ok
	case o.perm != nil && !o.dropped:
		return o.perm
	}
	return nil // nothing but successes without a reply
}

// failure is a DSN's line about rcpt (the address the sender used, not
// the destination it is forwarded to, which is the domain owner's
// business) refused with rp by host ("" for ourselves).
func failure(rcpt string, rp *reply.Reply, host string) dsn.Failed {
	status := rp.Enhanced
	if len(status) < 5 || status[0] != '5' {
		status = "5.0.0"
	}
	diag := strings.NewReplacer("\r", " ", "\n", " ").Replace(rp.Error())
	return dsn.Failed{Recipient: rcpt, Action: "failed", Status: status, Diagnostic: diag, RemoteMTA: host}
}

// bounce makes a DSN to sender about failed recipients safe: spooled
// (and queued) when there is a spool, else delivered at once. It returns
// nil when that is done or needs no doing (never a report to the null
// sender), or the 451 to give when it could not be done now.
func (r *Router) bounce(ctx context.Context, id, sender string, msg *smtp.Message, failed []dsn.Failed) *reply.Reply {
	if sender == "" {
		return nil
	}
	header, _ := splitMessage(msg.Data)
	report, err := dsn.Build(dsn.Report{ReportingMTA: r.cfg.Hostname, From: "postmaster@" + r.cfg.Hostname, To: sender,
		EnvID: msg.Mail.EnvID, Arrival: msg.Received, Date: r.env.Now(), Failed: failed, Original: header, HeadersOnly: true})
	if err != nil {
		return reply.New(451, "4.3.0", "could not report the failed recipients: %v", err)
	}
	if r.spool != nil {
		m := &spool.Message{ID: "dsn-" + id, From: "", To: []string{sender}, Received: r.env.Now(), Data: report}
		if err := r.spool.Put(ctx, m); err != nil {
			return reply.New(451, "4.3.0", "could not queue the report of failed recipients, try again later")
		}
		r.env.Record(mailfacts.MailSpooled, mailfacts.Message(m.ID))
		if r.queue != nil {
			r.queue.Add(m, []int{0})
		}
	} else {
		dom := sender[strings.LastIndexByte(sender, '@')+1:]
		outs := r.dlv.Deliver(ctx, dom, &deliver.Envelope{To: []string{sender}, SMTPUTF8: msg.Mail.SMTPUTF8}, report)
		if rp := outs[0].Reply; rp.Temporary() {
			return reply.New(451, "4.4.0", "could not deliver the report of failed recipients (%s), try again later", rp.Error())
		}
		// A sender whose own server refuses the report for good: there
		// is no one left to tell.
	}
	for _, f := range failed {
		code, _ := strconv.Atoi(f.Diagnostic[:min(3, len(f.Diagnostic))])
		r.env.Record(mailfacts.MailBounced, mailfacts.Message(id), mailfacts.Addr(f.Recipient), mailfacts.Code(code))
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// seal adds the ARC set and the forwarding domain's DKIM signature.
func (r *Router) seal(ctx context.Context, data []byte, now time.Time) []byte {
	if r.cfg.ARC != nil {
		if set, _, err := r.cfg.ARC.Seal(ctx, r.env.Resolver(), data, now); err == nil {
			data = append([]byte(set), data...)
		}
	}
	if r.cfg.DKIM != nil {
		if sig, err := r.cfg.DKIM.Sign(data, now); err == nil {
			data = append([]byte(sig), data...)
		}
	}
	return data
}

func (r *Router) store(ctx context.Context, id, from string, dests []string, data []byte, rec *activity.Record) *reply.Reply {
	if r.spool == nil {
		rec.Status, rec.Detail = activity.Deferred, "no spool configured"
		return &reply.LocalError
	}
	m := &spool.Message{ID: id + "-" + shortHash(rec.To), From: from, To: dests, Received: r.env.Now(), Data: data}
	if err := r.spool.Put(ctx, m); err != nil {
		rec.Status, rec.Detail = activity.Deferred, "spool: "+err.Error()
		return reply.New(451, "4.3.0", "could not queue the message, try again later")
	}
	r.env.Record(mailfacts.MailSpooled, mailfacts.Message(m.ID))
	if r.queue != nil {
		r.queue.Add(m, seqN(len(dests)))
	}
	rec.Status, rec.Detail = activity.Queued, "to "+strings.Join(dests, ", ")
	return reply.New(250, "2.0.0", "queued as %s", id)
}

// relay delivers to dests now and returns one outcome per destination
// (a destination that took this message before, on an attempt answered
// 4xx, counts as delivered and is not sent it again).
func (r *Router) relay(ctx context.Context, id, from string, dests []string, data []byte, msg *smtp.Message, rec *activity.Record) []deliver.Outcome {
	byDomain := map[string][]string{}
	var domains []string
	for _, d := range dests {
		dom := d[strings.LastIndexByte(d, '@')+1:]
		if byDomain[dom] == nil {
			domains = append(domains, dom)
		}
		byDomain[dom] = append(byDomain[dom], d)
	}
	// The memory key is the message as the sender sent it, so a retry
	// of the same message finds what its first attempt delivered.
	sum := sha256.Sum256(append([]byte(from+"\x00"), msg.Data...))
	key := hex.EncodeToString(sum[:])
	now := r.env.Now()
	var all []deliver.Outcome
	var verdict outcome
	var failed []string
	for _, dom := range domains {
		var todo []string
		r.mu.Lock()
		for k, at := range r.delivered {
			if now.Sub(at) > 24*time.Hour {
				delete(r.delivered, k)
			}
		}
		for _, d := range byDomain[dom] {
			if _, done := r.delivered[key+d]; done {
				all = append(all, deliver.Outcome{Rcpt: d, Reply: reply.OK})
				verdict.add(&reply.OK)
			} else {
				todo = append(todo, d)
			}
		}
		r.mu.Unlock()
		if len(todo) == 0 {
			continue
		}
		outs := r.dlv.Deliver(ctx, dom, &deliver.Envelope{From: from, To: todo, SMTPUTF8: msg.Mail.SMTPUTF8, EightBit: msg.EightBit}, data)
		for _, o := range outs {
			rp := o.Reply
			if rp.Positive() {
				r.mu.Lock()
				r.delivered[key+o.Rcpt] = now
				r.mu.Unlock()
				r.env.Record(mailfacts.MailDelivered, mailfacts.Message(id), mailfacts.Addr(o.Rcpt), mailfacts.Addr(o.Host))
			} else {
				failed = append(failed, fmt.Sprintf("%s: %s", o.Rcpt, rp.Error()))
			}
			verdict.add(&rp)
			all = append(all, o)
		}
	}
	switch answer := verdict.answer(); {
	case answer != nil && answer.Temporary():
		rec.Status = activity.Deferred
	case verdict.perm != nil && verdict.ok == nil:
		rec.Status = activity.DeliveryFailed
	default:
		rec.Status = activity.Forwarded
	}
	rec.Detail = strings.Join(failed, "; ")
	return all
}

func (r *Router) newID() string {
	var b [8]byte
	r.env.Rand().Read(b[:])
	return hex.EncodeToString(b[:])
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

func seqN(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func splitMessage(data []byte) (header, body []byte) {
	if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
		return data[:i+2], data[i+4:]
	}
	return data, nil
}
