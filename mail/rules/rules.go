// Package rules decides, per recipient, what happens to mail for the
// domains the router serves: which rule of which domain applies (a literal
// address, else the domain's catch-all) and its action (forward to
// verified destinations, drop, reject with a reason, or hand to a worker).
// A recipient outside the configured domains is refused, so the router is
// never an open relay. Rules are plain data (Config, JSON) compiled into a
// Table; the package does no I/O.
package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/edgelab/edgelab/mail/addr"
	"github.com/edgelab/edgelab/mail/reply"
)

// Action types.
const (
	Forward = "forward"
	Drop    = "drop"
	Reject  = "reject"
	Worker  = "worker"
)

// Config is the whole routing state: domains with their rules, and the
// destination addresses with their verification state.
type Config struct {
	Domains      []Domain      `json:"domains"`
	Destinations []Destination `json:"destinations,omitempty"`
	// Bugs switches on seeded bugs (bugs.go); zero in production.
	Bugs Bugs `json:"-"`
}

// Domain is one served domain.
type Domain struct {
	// Name in U-label or A-label form; both spellings are one domain.
	Name string `json:"name"`
	// Subaddressing makes user+tag match user's rule when no rule names
	// user+tag itself.
	Subaddressing bool `json:"subaddressing,omitempty"`
	// Separator is the subaddress separator (default "+").
	Separator string `json:"separator,omitempty"`
	// CaseSensitive makes local parts match exactly; by default they match
	// case-insensitively, as most receivers treat them.
	CaseSensitive bool    `json:"case_sensitive,omitempty"`
	Rules         []Rule  `json:"rules,omitempty"`
	CatchAll      *Action `json:"catch_all,omitempty"`
}

// Rule routes one literal local part of its domain.
type Rule struct {
	ID     string `json:"id"`
	Local  string `json:"local"`
	Action Action `json:"action"`
}

// Action is what a rule does.
type Action struct {
	Type string `json:"type"`
	// To lists the destinations of a forward.
	To []string `json:"to,omitempty"`
	// Reason is the text of a reject.
	Reason string `json:"reason,omitempty"`
	// Worker names the worker of a worker action.
	Worker string `json:"worker,omitempty"`
}

// Destination is an address mail may be forwarded to once verified.
type Destination struct {
	Address  string `json:"address"`
	Verified bool   `json:"verified"`
}

// FieldError is one validation failure, named by its JSON path.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// ValidationError lists every problem found in a Config.
type ValidationError struct{ Problems []FieldError }

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("rules: invalid config")
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "; %s: %s", p.Field, p.Detail)
	}
	return b.String()
}

// Table is a compiled Config.
type Table struct {
	domains  map[string]*domain
	verified map[string]bool
	bugs     Bugs
}

type domain struct {
	cfg      Domain
	ascii    string
	literals map[string]*Rule
}

// Decision is the outcome of Resolve for one recipient.
type Decision struct {
	Domain string // A-label form
	RuleID string // the rule's ID, or "catch-all"
	Action Action
	// Destinations are the verified destinations of a forward, parsed.
	Destinations []addr.Mailbox
}

// CatchAllID names the catch-all in a Decision.
const CatchAllID = "catch-all"

// Compile validates cfg and builds its Table.
func Compile(cfg Config) (*Table, error) {
	var probs []FieldError
	bad := func(field, format string, args ...any) {
		probs = append(probs, FieldError{field, fmt.Sprintf(format, args...)})
	}
	t := &Table{domains: map[string]*domain{}, verified: map[string]bool{}, bugs: cfg.Bugs}
	for i, d := range cfg.Destinations {
		m, err := addr.ParseMailbox(d.Address, addr.Options{SMTPUTF8: true})
		if err != nil {
			bad(fmt.Sprintf("destinations[%d].address", i), "%v", err)
			continue
		}
		if d.Verified {
			t.verified[destKey(m)] = true
		}
	}
	ids := map[string]bool{}
	for i, d := range cfg.Domains {
		field := fmt.Sprintf("domains[%d]", i)
		dn, err := addr.ParseDomain(d.Name, addr.Options{SMTPUTF8: true})
		if err != nil || dn.Literal {
			bad(field+".name", "not a domain name: %q", d.Name)
			continue
		}
		if _, dup := t.domains[dn.ASCII]; dup {
			bad(field+".name", "domain %s configured twice", dn.ASCII)
			continue
		}
		if d.Separator == "" {
			d.Separator = "+"
		}
		if len(d.Separator) != 1 || strings.ContainsAny(d.Separator, `."@\ `) {
			bad(field+".separator", "separator must be one character other than . \" @ \\ and space")
		}
		cd := &domain{cfg: d, ascii: dn.ASCII, literals: map[string]*Rule{}}
		for j := range d.Rules {
			r := &d.Rules[j]
			rf := fmt.Sprintf("%s.rules[%d]", field, j)
			if r.ID == "" {
				bad(rf+".id", "missing")
			} else if ids[r.ID] || r.ID == CatchAllID {
				bad(rf+".id", "duplicate rule id %q", r.ID)
			}
			ids[r.ID] = true
			m, err := addr.ParseMailbox(addr.QuoteLocal(r.Local)+"@"+dn.ASCII, addr.Options{SMTPUTF8: true})
			if err != nil || r.Local == "" {
				bad(rf+".local", "not a local part: %q", r.Local)
				continue
			}
			key := cd.localKey(m.Local)
			if _, dup := cd.literals[key]; dup {
				bad(rf+".local", "two rules for %q", r.Local)
			}
			cd.literals[key] = r
			checkAction(r.Action, rf+".action", bad)
		}
		if d.CatchAll != nil {
			checkAction(*d.CatchAll, field+".catch_all", bad)
		}
		t.domains[dn.ASCII] = cd
	}
	if len(probs) > 0 {
		return nil, &ValidationError{probs}
	}
	return t, nil
}

func checkAction(a Action, field string, bad func(field, format string, args ...any)) {
	switch a.Type {
	case Forward:
		if len(a.To) == 0 {
			bad(field+".to", "a forward needs at least one destination")
		}
		for k, to := range a.To {
			if _, err := addr.ParseMailbox(to, addr.Options{SMTPUTF8: true}); err != nil {
				bad(fmt.Sprintf("%s.to[%d]", field, k), "%v", err)
			}
		}
	case Drop:
	case Reject:
		if strings.ContainsAny(a.Reason, "\r\n") {
			bad(field+".reason", "reason must be one line")
		}
	case Worker:
		if a.Worker == "" {
			bad(field+".worker", "a worker action names its worker")
		}
	default:
		bad(field+".type", "unknown action %q (want forward, drop, reject or worker)", a.Type)
	}
}

func (d *domain) localKey(local string) string {
	if d.cfg.CaseSensitive {
		return local
	}
	return strings.ToLower(local)
}

func destKey(m addr.Mailbox) string { return m.Local + "@" + m.Domain.ASCII }

// Serves reports whether the table has a domain (in either spelling).
func (t *Table) Serves(name string) bool {
	d, err := addr.ParseDomain(name, addr.Options{SMTPUTF8: true})
	return err == nil && t.domains[d.ASCII] != nil
}

// Domains lists the served domains in A-label form, sorted.
func (t *Table) Domains() []string {
	out := make([]string, 0, len(t.domains))
	for k := range t.domains {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Verified reports whether a destination address is verified.
func (t *Table) Verified(m addr.Mailbox) bool { return t.verified[destKey(m)] }

// Resolve decides what to do with mail to rcpt. Its error is a
// *reply.Reply: 550 5.7.1 for a domain that is not ours (address literals
// included: none is ever ours), 550 5.1.1 for an unknown user of a domain
// without catch-all, 550 5.7.1 with the rule's reason for a reject, and
// 550 5.7.1 for a forward none of whose destinations is verified.
func (t *Table) Resolve(rcpt addr.Mailbox) (Decision, error) {
	if rcpt.Domain.Literal {
		return Decision{}, &reply.RelayDenied
	}
	d := t.domains[rcpt.Domain.ASCII]
	if d == nil {
		return Decision{}, &reply.RelayDenied
	}
	dec := Decision{Domain: d.ascii}
	key := d.localKey(rcpt.Local)
	r := d.literals[key]
	if r == nil && d.cfg.Subaddressing {
		if i := strings.Index(key, d.cfg.Separator); i > 0 {
			r = d.literals[key[:i]]
		}
	}
	switch {
	case r != nil && !(t.bugs.CatchAllFirst && d.cfg.CatchAll != nil):
		dec.RuleID, dec.Action = r.ID, r.Action
	case d.cfg.CatchAll != nil:
		dec.RuleID, dec.Action = CatchAllID, *d.cfg.CatchAll
	default:
		return Decision{}, &reply.NoSuchUser
	}
	switch dec.Action.Type {
	case Reject:
		reason := dec.Action.Reason
		if reason == "" {
			reason = "rejected by rule"
		}
		return dec, reply.New(550, "5.7.1", "%s", reason)
	case Forward:
		for _, to := range dec.Action.To {
			m, err := addr.ParseMailbox(to, addr.Options{SMTPUTF8: true})
			if err == nil && t.verified[destKey(m)] {
				dec.Destinations = append(dec.Destinations, m)
			}
		}
		if len(dec.Destinations) == 0 {
			return dec, reply.New(550, "5.7.1", "forwarding destination not verified")
		}
	}
	return dec, nil
}
