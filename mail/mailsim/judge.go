package mailsim

// This file is the world's properties, judged from what a run observed:
// the mailboxes' synced contents, the senders' and the router's activity
// logs, the attackers' sessions and the trace.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/mail/arc"
	"github.com/edgelab/edgelab/mail/dkim"
	"github.com/edgelab/edgelab/mail/internal/zonedns"
	"github.com/edgelab/edgelab/mail/mailfacts"
	"github.com/edgelab/edgelab/mail/spf"
	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/world"
)

// The properties, in the order Judge reports them.
const (
	PropLost       = "nothing-lost"    // 1
	PropDuplicates = "duplicates"      // 2
	PropSpoofed    = "nobody-spoofed"  // 3
	PropRelay      = "no-open-relay"   // 4
	PropBytes      = "bytes-preserved" // 5
	PropActivity   = "activity-log"    // 6
	PropDrain      = "queues-drain"    // 7
	PropRouting    = "rules-followed"
	PropBackoff    = "retry-backoff"
	PropNullSender = "no-bounce-to-null"
)

// Result is what a run observed.
type Result struct {
	Seed     uint64
	Config   Config
	Workload []*Message
	// Mailboxes are the messages every mailbox (destinations' and
	// senders') durably holds, in arrival order.
	Mailboxes []Delivered
	Attacks   []Attack
	// Early are the router's answers for messages its disk did not yet
	// hold durably (see ackWatch).
	Early []string
	// RouterLogs are the router's activity logs, one per boot.
	RouterLogs []*activity.Log
	// SenderLogs are the sending MTAs' queue logs: what the router
	// answered them.
	SenderLogs []*activity.Log
	// Liveness is the drain check ConvergeWithin after healing (nil if
	// it held or did not run); Final the same check at the run's end.
	Liveness, Final error
	Report          *sim.Report
	Trace           *model.Trace

	healAt    time.Duration
	faulted   bool
	srsSecret []byte
	zone      []sim.Record
}

func records(logs ...*activity.Log) []activity.Record {
	var out []activity.Record
	for _, l := range logs {
		rs := l.Find(activity.Query{Limit: 1 << 30})
		for i := len(rs) - 1; i >= 0; i-- { // oldest first
			out = append(out, rs[i])
		}
	}
	return out
}

func isFinal(status string) bool {
	switch status {
	case activity.Forwarded, activity.Bounced, activity.DeliveryFailed:
		return true
	}
	return false
}

// mailsimID is a message's X-Mailsim-ID, from its top header section.
func mailsimID(data []byte) string {
	head := data
	if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
		head = data[:i+2]
	}
	const h = "\r\nX-Mailsim-ID: "
	i := bytes.Index(append([]byte("\r\n"), head...), []byte(h))
	if i < 0 {
		return ""
	}
	rest := head[i-2+len(h):]
	if j := bytes.Index(rest, []byte("\r\n")); j >= 0 {
		rest = rest[:j]
	}
	return string(rest)
}

// dsnFor reports whether d is a bounce (null sender) that carries the
// headers of message id.
func dsnFor(d Delivered, id string) bool {
	return d.From == "" && bytes.Contains(d.Data, []byte("X-Mailsim-ID: "+id+"\r\n"))
}

type copyKey struct{ id, to string }

// copies counts the non-bounce copies of each message per mailbox address.
func (r *Result) copies() map[copyKey]int {
	out := map[copyKey]int{}
	for _, d := range r.Mailboxes {
		if d.From == "" {
			continue
		}
		id := mailsimID(d.Data)
		for _, to := range d.To {
			out[copyKey{id, strings.ToLower(to)}]++
		}
	}
	return out
}

// senderFinal is the sender's final record for a message and recipient
// (what the router's answer made of it), or nil.
func (r *Result) senderFinal(m *Message, rcpt string) *activity.Record {
	recs := records(r.SenderLogs[m.Sender-1])
	var last *activity.Record
	for i := range recs {
		if recs[i].MessageID == m.ID && recs[i].To == rcpt && isFinal(recs[i].Status) {
			last = &recs[i]
		}
	}
	return last
}

// routerRecords are the router's data-time records for a message and
// recipient (matched by the subject, which carries the workload ID).
func (r *Result) routerRecords(id, rcpt string) []activity.Record {
	var out []activity.Record
	for _, rec := range records(r.RouterLogs...) {
		if strings.Contains(rec.Subject, " "+id+" ") && strings.EqualFold(rec.To, rcpt) {
			out = append(out, rec)
		}
	}
	return out
}

func (r *Result) bounced(m *Message) bool {
	for _, d := range r.Mailboxes {
		if dsnFor(d, m.ID) {
			return true
		}
	}
	return false
}

// Judge checks every property and returns the violations, in order.
func (r *Result) Judge() []world.Violation {
	var vs []world.Violation
	for _, p := range []struct {
		name  string
		check func() error
	}{
		{PropLost, r.checkLost}, {PropDuplicates, r.checkDuplicates}, {PropSpoofed, r.checkSpoofed},
		{PropRelay, r.checkRelay}, {PropBytes, r.checkBytes}, {PropActivity, r.checkActivity},
		{PropDrain, r.checkDrain}, {PropRouting, r.checkRouting}, {PropBackoff, r.checkBackoff},
		{PropNullSender, r.checkNullSender},
	} {
		if err := p.check(); err != nil {
			vs = append(vs, world.Violation{Property: p.name, Message: err.Error()})
		}
	}
	return vs
}

// checkLost: the router answers 250 only for what its disk holds durably
// (a power failure at that moment would lose nothing), and every
// recipient the router answered 250 for is delivered to every destination
// the router's rules named, or bounced to its sender with a DSN, or
// dropped or failed (null sender) with a record saying so.
func (r *Result) checkLost() error {
	if len(r.Early) > 0 {
		return fmt.Errorf("%s (%d such answers)", r.Early[0], len(r.Early))
	}
	cp := r.copies()
	for _, m := range r.Workload {
		for _, rc := range m.Rcpts {
			f := r.senderFinal(m, rc.Addr)
			if f == nil || f.Status != activity.Forwarded {
				continue
			}
			recs := r.routerRecords(m.ID, rc.Addr)
			ok := r.bounced(m)
			for _, rec := range recs {
				switch rec.Status {
				case activity.Dropped:
					ok = true
				case activity.Queued:
					all := true
					for _, d := range strings.Split(strings.TrimPrefix(rec.Detail, "to "), ", ") {
						if cp[copyKey{m.ID, strings.ToLower(d)}] == 0 && !r.nullFailed(rec.MessageID) {
							all = false
						}
					}
					ok = ok || all
				}
			}
			if !ok {
				return fmt.Errorf("%s to %s: the router answered 250 (%d records), but it was neither delivered, bounced nor dropped", m.ID, rc.Addr, len(recs))
			}
		}
	}
	return nil
}

// nullFailed reports a message of the null sender whose delivery failed
// for good with a record saying so (it gets no bounce).
func (r *Result) nullFailed(routerID string) bool {
	for _, rec := range records(r.RouterLogs...) {
		if strings.HasPrefix(rec.MessageID, routerID) && rec.Status == activity.DeliveryFailed && rec.From == "" {
			return true
		}
	}
	return false
}

// Duplicates counts the copies beyond the first of a message at one
// address: SMTP allows them where a destination's 250 was lost (a crash
// before the spool update, a reset connection).
func (r *Result) Duplicates() int {
	n := 0
	for _, c := range r.copies() {
		n += max(c-1, 0)
	}
	return n
}

// checkDuplicates: a message reaches an address twice only where SMTP
// allows it: the copy before was never durably marked done in the spool of
// the MTA that sent it (the destination's 250 was lost with a reset or a
// timeout, the spool update failed, or the MTA crashed between the 250 and
// the update). So once a router boot has recorded a recipient forwarded
// (which it does only after the spool's Done returned), no later delivery
// of that spooled message to that recipient may happen, in that boot or
// any later one. (The sender's side of the same rule: the sending MTAs
// never crash, and their queues delete what they record.)
func (r *Result) checkDuplicates() error {
	type fwd struct {
		boot int
		id   string
	}
	done := map[copyKey]fwd{} // by message digest and recipient: first boot that recorded it forwarded
	for boot, l := range r.RouterLogs {
		for _, rec := range records(l) {
			if rec.Status != activity.Forwarded {
				continue
			}
			k := copyKey{mailfacts.Message(rec.MessageID).Digest, rec.To}
			if prev, ok := done[k]; ok && prev.boot == boot {
				return fmt.Errorf("router boot %d delivered %s to %s twice", boot+1, rec.MessageID, rec.To)
			} else if !ok {
				done[k] = fwd{boot, rec.MessageID}
			}
		}
	}
	boot := 0
	for _, ev := range r.Trace.Events {
		if ev.Node != RouterNode {
			continue
		}
		switch {
		case ev.Kind == model.Restart:
			boot++
		case ev.Name == mailfacts.MailDelivered && len(ev.Args) >= 2:
			k := copyKey{ev.Args[0].Digest, ev.Args[1].Name}
			if f, ok := done[k]; ok && boot > f.boot {
				return fmt.Errorf("%s was delivered to %s again in router boot %d after boot %d had durably marked it done", f.id, k.to, boot+1, f.boot+1)
			}
		}
	}
	return nil
}

func (r *Result) resolver() *zonedns.Zone {
	z := zonedns.New()
	for _, rec := range r.zone {
		name := strings.ToLower(strings.TrimSuffix(rec.Name, "."))
		switch rec.Type {
		case "A", "AAAA":
			z.IP[name] = append(z.IP[name], net.ParseIP(rec.Value))
		case "TXT":
			z.TXT[name] = append(z.TXT[name], rec.Value)
		case "MX":
			z.MX[name] = append(z.MX[name], &net.MX{Host: rec.Value, Pref: rec.Pref})
		}
	}
	return z
}

func (r *Result) isDest(node string) bool { return strings.HasPrefix(node, "dest-") }

// checkSpoofed: mail failing DMARC under p=reject is never delivered;
// forwarded mail reaches the destination with an SRS envelope sender that
// passes SPF there, the forwarder's valid DKIM signature and a passing ARC
// chain; a forged bounce to an SRS address never arrives.
func (r *Result) checkSpoofed() error {
	refuse := map[string]bool{}
	for _, m := range r.Workload {
		for _, rc := range m.Rcpts {
			if rc.Fate == FateRefuse {
				refuse[m.ID] = true
			}
		}
	}
	z := r.resolver()
	ctx := context.Background()
	routerIP := r.routerIP(z)
	for _, d := range r.Mailboxes {
		id := mailsimID(d.Data)
		if refuse[id] && !r.dmarcUnknown(id) {
			return fmt.Errorf("%s (From a p=reject domain, DMARC fails) was delivered to %v", id, d.To)
		}
		if id == "forged" || dsnFor(d, "forged") {
			return fmt.Errorf("a forged bounce to an SRS address was delivered to %v", d.To)
		}
		if !r.isDest(d.Node) || d.From == "" {
			continue
		}
		at := strings.LastIndexByte(d.From, '@')
		if !strings.HasPrefix(strings.ToUpper(d.From), "SRS0") || at < 0 || !strings.EqualFold(d.From[at+1:], OurDomain) {
			return fmt.Errorf("%s reached %s with envelope sender %q, not an SRS address of %s", id, d.Node, d.From, OurDomain)
		}
		if v := spf.Check(ctx, z, routerIP, "mx."+OurDomain, d.From); v.Result != spf.Pass {
			return fmt.Errorf("%s at %s: SPF %s for %s", id, d.Node, v.Result, d.From)
		}
		res, _ := dkim.Verify(ctx, z, d.Data, d.At)
		ours := false
		for _, x := range res {
			if x.Domain == OurDomain && x.Status == dkim.StatusPass {
				ours = true
			}
		}
		if !ours {
			return fmt.Errorf("%s at %s: no valid DKIM signature of %s (%v)", id, d.Node, OurDomain, res)
		}
		if v := arc.Verify(ctx, z, d.Data); v.Status != arc.Pass {
			return fmt.Errorf("%s at %s: ARC chain %s: %s", id, d.Node, v.Status, v.Reason)
		}
	}
	return nil
}

// dmarcUnknown: the router could not learn the From domain's policy for
// message id, and forwarded it as most receivers do: a DMARC temperror
// under DNS faults, or "none" because the DNS answered the policy's TXT
// query with a faulted NXDOMAIN (the router cannot tell that lie from a
// domain without a policy). The mail world counts these rather than
// calling them spoofing: the policy never reached the router.
func (r *Result) dmarcUnknown(id string) bool {
	for _, rec := range records(r.RouterLogs...) {
		if !strings.Contains(rec.Subject, " "+id+" ") || rec.Status != activity.Queued {
			continue
		}
		if rec.DMARC == "temperror" || rec.DMARC == "none" && r.nxdomainTXTBefore(rec.MessageID) {
			return true
		}
	}
	return false
}

// nxdomainTXTBefore reports a DNS fault answering TXT queries with
// NXDOMAIN in force at some moment of the two minutes before the router
// accepted message id (its DMARC lookup lies in that span).
func (r *Result) nxdomainTXTBefore(id string) bool {
	digest := mailfacts.Message(id).Digest
	var at time.Duration = -1
	for _, ev := range r.Trace.Events {
		if ev.Node == RouterNode && ev.Name == mailfacts.MailAccepted && len(ev.Args) >= 2 && ev.Args[1].Digest == digest {
			at = ev.At
			break
		}
	}
	if at < 0 {
		return false
	}
	var since time.Duration = -1 // start of the spell in force, -1 if none
	for _, ev := range r.Trace.Events {
		if ev.At > at {
			break
		}
		nx := ev.Attrs["kind"] == "nxdomain" && (ev.Attrs["type"] == "TXT" || ev.Attrs["type"] == "")
		switch {
		case ev.Name == "dns-fault" && nx && since < 0:
			since = ev.At
		case (ev.Name == "dns-fault-end" && nx || ev.Name == "heal-all") && since >= 0:
			if ev.At >= at-2*time.Minute {
				return true
			}
			since = -1
		}
	}
	return since >= 0
}

func (r *Result) routerIP(z *zonedns.Zone) net.IP {
	for _, ip := range z.IP["mx."+OurDomain] {
		if ip.To4() != nil {
			return ip
		}
	}
	return nil
}

// checkRelay: no attack's message is ever delivered (open relay,
// smuggling), and the router queues nothing for a domain it does not
// forward to.
func (r *Result) checkRelay() error {
	ours := map[string]bool{}
	for _, d := range routingRules().Destinations {
		ours[d.Address] = true
	}
	for _, d := range r.Mailboxes {
		switch id := mailsimID(d.Data); {
		case id == "smuggled" || id == "outer":
			return fmt.Errorf("the attacker's %q message was delivered to %v", id, d.To)
		case strings.HasPrefix(id, "relay-"):
			// An address at our domain (a quoted local part, a %-hack)
			// may reach our own destinations through the catch-all:
			// relaying is delivery anywhere else.
			for _, to := range d.To {
				if !ours[strings.ToLower(to)] {
					return fmt.Errorf("the attacker's %q message was relayed to %s", id, to)
				}
			}
		}
	}
	for _, rec := range records(r.RouterLogs...) {
		if rec.Status == activity.Queued && strings.Contains(rec.Detail, "elsewhere.example") {
			return fmt.Errorf("the router queued mail for a foreign domain: %s", rec.Detail)
		}
	}
	return nil
}

// checkBytes: every delivered copy ends with the message exactly as its
// sender wrote it (the router only adds header fields on top).
func (r *Result) checkBytes() error {
	byID := map[string]*Message{}
	for _, m := range r.Workload {
		byID[m.ID] = m
	}
	for _, d := range r.Mailboxes {
		m := byID[mailsimID(d.Data)]
		if m == nil || d.From == "" || !r.isDest(d.Node) {
			continue
		}
		if !bytes.HasSuffix(d.Data, m.Body) {
			return fmt.Errorf("%s (%s) arrived at %s altered", m.ID, m.Kind, d.Node)
		}
	}
	return nil
}

// checkActivity: per router boot, one data-time record per message and
// recipient, and the final records agree with the trace's delivery facts.
func (r *Result) checkActivity() error {
	for boot, l := range r.RouterLogs {
		seen := map[copyKey]string{}
		for _, rec := range records(l) {
			switch rec.Status {
			case activity.Queued, activity.Dropped:
				if rec.MessageID == "" {
					continue
				}
				k := copyKey{rec.MessageID, strings.ToLower(rec.To)}
				if prev, ok := seen[k]; ok {
					return fmt.Errorf("router boot %d: two records for %s to %s (%s, then %s)", boot+1, rec.MessageID, rec.To, prev, rec.Status)
				}
				seen[k] = rec.Status
			case activity.Forwarded:
			}
		}
	}
	// Every forwarded record has its delivery fact in the trace, and once
	// the queues drained every delivery fact has its record (a spool
	// update that failed after the delivery keeps the recipient queued:
	// it is delivered, and recorded, again).
	facts := map[copyKey]bool{}
	for _, ev := range r.Trace.Events {
		if ev.Node == RouterNode && ev.Name == mailfacts.MailDelivered && len(ev.Args) >= 2 {
			facts[copyKey{ev.Args[0].Digest, ev.Args[1].Name}] = true
		}
	}
	recorded := map[copyKey]bool{}
	for _, rec := range records(r.RouterLogs...) {
		if rec.Status != activity.Forwarded {
			continue
		}
		k := copyKey{mailfacts.Message(rec.MessageID).Digest, rec.To}
		if !facts[k] {
			return fmt.Errorf("a forwarded record for %s to %s without a delivery fact in the trace", rec.MessageID, rec.To)
		}
		recorded[k] = true
	}
	if r.Final == nil {
		for k := range facts {
			if !recorded[k] {
				return fmt.Errorf("a delivery to %s in the trace without a forwarded record", k.to)
			}
		}
	}
	return nil
}

// checkDrain: after healing, every queue is empty within DrainBound.
func (r *Result) checkDrain() error {
	if r.Liveness != nil {
		return r.Liveness
	}
	if !r.faulted && r.Final != nil {
		return fmt.Errorf("at the end of a run without faults: %v", r.Final)
	}
	return nil
}

// checkRouting: each recipient met the fate the rules give it: delivered
// to its destinations and nowhere else, dropped, rejected at RCPT, bounced
// back, or refused at the end of data. A refusal the router made because
// authentication could not be established (DNS faults) is excused.
func (r *Result) checkRouting() error {
	cp := r.copies()
	for _, m := range r.Workload {
		allowed := map[string]bool{}
		for _, rc := range m.Rcpts {
			for _, d := range rc.Dests {
				allowed[strings.ToLower(d)] = true
			}
		}
		for k, n := range cp {
			if k.id == m.ID && n > 0 && !allowed[k.to] {
				return fmt.Errorf("%s (%s) was delivered to %s, which its rules do not name", m.ID, m.Kind, k.to)
			}
		}
		for _, rc := range m.Rcpts {
			f := r.senderFinal(m, rc.Addr)
			if f == nil {
				continue // still queued: the drain property speaks
			}
			accepted := f.Status == activity.Forwarded
			switch rc.Fate {
			case FateDeliver, FateDrop, FateBounce, FateUndeliverable:
				if !accepted && !r.excused(m, rc.Addr) {
					return fmt.Errorf("%s (%s) to %s was refused: %s", m.ID, m.Kind, rc.Addr, f.Detail)
				}
				if accepted && rc.Fate == FateBounce && r.Final == nil && !r.bounced(m) {
					return fmt.Errorf("%s (%s) to %s: no bounce came back to %s", m.ID, m.Kind, rc.Addr, m.From)
				}
			case FateReject, FateRefuse:
				if accepted && !(rc.Fate == FateRefuse && r.dmarcUnknown(m.ID)) {
					return fmt.Errorf("%s (%s) to %s was accepted; the rules refuse it", m.ID, m.Kind, rc.Addr)
				}
			}
		}
	}
	return nil
}

// excused: the router refused at the end of data because neither SPF nor
// DKIM could be seen to pass.
func (r *Result) excused(m *Message, rcpt string) bool {
	for _, rec := range r.routerRecords(m.ID, rcpt) {
		if rec.Status == activity.Rejected && rec.SPF != "" && rec.SPF != string(spf.Pass) && rec.DKIM != "pass" {
			return true
		}
	}
	return false
}

// checkBackoff: no queue tries a recipient again sooner than half the
// first retry delay (the jitter's lower bound) after a temporary failure,
// in virtual time: the next outcome of any kind (delivered, deferred
// again, bounced) comes that much later at the earliest. A reboot starts
// its queue afresh from the spool, so it forgets the last failure.
func (r *Result) checkBackoff() error {
	last := map[string]time.Duration{}
	for _, ev := range r.Trace.Events {
		if ev.Kind == model.Restart {
			for k := range last {
				if strings.HasPrefix(k, ev.Node+" ") {
					delete(last, k)
				}
			}
			continue
		}
		switch ev.Name {
		case mailfacts.MailDeferred, mailfacts.MailDelivered, mailfacts.MailBounced:
		default:
			continue
		}
		if len(ev.Args) < 2 {
			continue
		}
		k := ev.Node + " " + ev.Args[0].Digest + " " + ev.Args[1].String()
		if at, ok := last[k]; ok && ev.At-at < FirstRetry/2 {
			return fmt.Errorf("%s tried again %v after a temporary failure (first retry %v)", k, ev.At-at, FirstRetry)
		}
		delete(last, k)
		if ev.Name == mailfacts.MailDeferred {
			last[k] = ev.At
		}
	}
	return nil
}

// checkNullSender: no queue ever spools mail to the null sender.
func (r *Result) checkNullSender() error {
	logs := append(append([]*activity.Log(nil), r.RouterLogs...), r.SenderLogs...)
	for _, rec := range records(logs...) {
		if rec.To == "" && rec.MessageID != "" && rec.Status != activity.Rejected {
			return fmt.Errorf("%s: a message to the null sender (%s)", rec.MessageID, rec.Status)
		}
	}
	return nil
}

// Glossary says what each figure means, in its order.
var Glossary = []world.Term{
	{Name: "messages", Meaning: "workload messages submitted by the sending MTAs"},
	{Name: "recipients", Meaning: "workload recipients"},
	{Name: "accepted", Meaning: "recipients the router answered 250 for (as the senders saw it)"},
	{Name: "delivered", Meaning: "copies in destination mailboxes"},
	{Name: "bounces", Meaning: "DSNs that reached a sender's mailbox"},
	{Name: "duplicates", Meaning: "copies beyond the first of a message at one address (allowed where a 250 was lost)"},
	{Name: "router_boots", Meaning: "times the router started (1 + restarts)"},
	{Name: "attacks", Meaning: "hostile sessions run (forged bounce, open relay, smuggling, blocklisted)"},
	{Name: "virtual_s", Meaning: "virtual seconds the run took"},
}

// Figures are the run's counts, in Glossary order.
func (r *Result) Figures() world.Figures {
	rcpts, accepted, delivered, bounces := 0, 0, 0, 0
	for _, m := range r.Workload {
		for _, rc := range m.Rcpts {
			rcpts++
			if f := r.senderFinal(m, rc.Addr); f != nil && f.Status == activity.Forwarded {
				accepted++
			}
		}
	}
	for _, d := range r.Mailboxes {
		switch {
		case d.From == "":
			bounces++
		case r.isDest(d.Node):
			delivered += len(d.To)
		}
	}
	return world.Figures{
		{Name: "messages", Value: float64(len(r.Workload))}, {Name: "recipients", Value: float64(rcpts)},
		{Name: "accepted", Value: float64(accepted)}, {Name: "delivered", Value: float64(delivered)},
		{Name: "bounces", Value: float64(bounces)}, {Name: "duplicates", Value: float64(r.Duplicates())},
		{Name: "router_boots", Value: float64(len(r.RouterLogs))}, {Name: "attacks", Value: float64(len(r.Attacks))},
		{Name: "virtual_s", Value: r.Report.End.Seconds()},
	}
}
