// Package dmarc evaluates a message against its author domain's DMARC
// policy: RFC 7489, or with TreeWalk the policy discovery and
// organizational-domain rules of its successor (DMARCbis). Records are
// parsed by github.com/emersion/go-msgauth/dmarc (np= and psd=, which it
// does not know, are read here); policy discovery, alignment of the SPF and
// DKIM identifiers, p/sp/np selection and pct sampling are ours. DNS goes
// through the Env resolver; pct draws from a random source the caller
// supplies, so a run with the same source decides the same.
package dmarc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	msgdmarc "github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"

	"github.com/edgelab/edgelab/mail/authres"
	"github.com/edgelab/edgelab/sim/env"
)

// Result is the DMARC result (RFC 8601 §2.7.6 names).
type Result string

const (
	ResultNone      Result = "none"
	ResultPass      Result = "pass"
	ResultFail      Result = "fail"
	ResultTempError Result = "temperror"
	ResultPermError Result = "permerror"
)

// Disposition is what the receiver does with a failing message.
type Disposition string

const (
	DispositionNone       Disposition = "none"
	DispositionQuarantine Disposition = "quarantine"
	DispositionReject     Disposition = "reject"
)

// Identity is an authenticated domain with its result: SPF's MAIL FROM (or
// HELO) domain, or a DKIM signature's d=.
type Identity struct {
	Domain string
	Pass   bool
}

// Input is what DMARC is evaluated on.
type Input struct {
	From string // the RFC 5322.From domain
	SPF  Identity
	DKIM []Identity
}

// Verdict is the outcome of an evaluation.
type Verdict struct {
	Result Result
	// Disposition is the action to take, after pct sampling.
	Disposition Disposition
	// Policy is the policy that applied (p, sp or np) before sampling.
	Policy Disposition
	// PolicyDomain is where the record was found; OrgDomain the author
	// domain's organizational domain.
	PolicyDomain, OrgDomain string
	SPFAligned, DKIMAligned bool
	// Sampled is false when pct chose not to apply the policy.
	Sampled bool
	Record  *msgdmarc.Record
	Err     error
	// From is the author domain evaluated.
	From string
}

// AuthResult is the verdict as an Authentication-Results resinfo, with
// header.from and, for a failure, the disposition as the reason.
func (v Verdict) AuthResult() authres.Result {
	r := authres.Result{Method: "dmarc", Value: string(v.Result),
		Props: []authres.Prop{{Type: "header", Name: "from", Value: v.From}}}
	if v.Result == ResultFail {
		r.Reason = "disposition " + string(v.Disposition)
	}
	return r
}

// Evaluator evaluates DMARC over a resolver.
type Evaluator struct {
	Resolver env.Resolver
	// TreeWalk selects DMARCbis policy discovery (walk up the From domain's
	// labels) and organizational domains found by the same walk (psd=).
	// Without it, RFC 7489: the From domain, then its organizational
	// domain by the public suffix list.
	TreeWalk bool
	// Bugs switches on seeded bugs (bugs.go); zero in production.
	Bugs Bugs
}

// record is a discovered policy record.
type record struct {
	domain string
	rec    *msgdmarc.Record
	np     msgdmarc.Policy
	psd    string // "y", "n" or ""
	test   bool   // DMARCbis t=y: the owner is testing its policy
}

// errTemp marks a DNS failure that may pass later.
var errTemp = errors.New("dmarc: temporary DNS failure")

// Evaluate evaluates in. random is read only when the policy has pct < 100.
func (e *Evaluator) Evaluate(ctx context.Context, in Input, random io.Reader) Verdict {
	from := normDomain(in.From)
	if from == "" {
		return Verdict{Result: ResultPermError, Disposition: DispositionNone, Err: errors.New("dmarc: no From domain")}
	}
	w := walker{ctx: ctx, r: e.Resolver, cache: map[string]lookup{}}
	var found *record
	var org string
	var err error
	if e.TreeWalk {
		found, err = w.treeWalkPolicy(from)
		if err == nil {
			org, err = w.treeWalkOrg(from)
		}
	} else {
		org = pslOrg(from)
		found, err = w.rfc7489Policy(from, org)
	}
	v := Verdict{OrgDomain: org, Disposition: DispositionNone, From: from}
	if err != nil {
		v.Err = err
		if errors.Is(err, errTemp) {
			v.Result = ResultTempError
		} else {
			v.Result = ResultPermError
		}
		return v
	}
	if found == nil {
		v.Result = ResultNone
		return v
	}
	v.PolicyDomain, v.Record = found.domain, found.rec

	orgOf := func(d string) (string, error) {
		if e.TreeWalk {
			return w.treeWalkOrg(d)
		}
		return pslOrg(d), nil
	}
	aligned := func(id string, mode msgdmarc.AlignmentMode) (bool, error) {
		id = normDomain(id)
		if id == "" {
			return false, nil
		}
		if mode == msgdmarc.AlignmentStrict || e.Bugs.FullDomainAlignment {
			return id == from, nil
		}
		o, err := orgOf(id)
		return o == org, err
	}
	if in.SPF.Pass {
		if v.SPFAligned, err = aligned(in.SPF.Domain, found.rec.SPFAlignment); err != nil {
			return tempOr(v, err)
		}
	}
	for _, d := range in.DKIM {
		if !d.Pass || v.DKIMAligned {
			continue
		}
		if v.DKIMAligned, err = aligned(d.Domain, found.rec.DKIMAlignment); err != nil {
			return tempOr(v, err)
		}
	}
	if v.SPFAligned || v.DKIMAligned {
		v.Result = ResultPass
		v.Sampled = true
		return v
	}
	v.Result = ResultFail

	v.Policy = Disposition(found.rec.Policy)
	if found.domain != from {
		if found.rec.SubdomainPolicy != "" {
			v.Policy = Disposition(found.rec.SubdomainPolicy)
		}
		if found.np != "" {
			exists, err := w.exists(from)
			if err != nil {
				return tempOr(v, err)
			}
			if !exists {
				v.Policy = Disposition(found.np)
			}
		}
	}
	v.Disposition, v.Sampled = v.Policy, true
	if e.TreeWalk && found.test {
		// DMARCbis replaces pct with t=y, which asks for the next weaker
		// policy, as a message outside a pct sample gets.
		v.Sampled = false
		v.Disposition = weaker(v.Policy)
		return v
	}
	if pct := found.rec.Percent; pct != nil && *pct < 100 && v.Policy != DispositionNone {
		draw := 0 // pct=0 samples nothing, no draw needed
		if *pct > 0 {
			var err error
			if draw, err = percentDraw(random); err != nil {
				v.Err = err
				return v
			}
		}
		if draw >= *pct {
			// RFC 7489 §6.6.4: a message outside the sample gets the next
			// weaker policy.
			v.Sampled = false
			v.Disposition = weaker(v.Policy)
		}
	}
	return v
}

// weaker is the next weaker policy.
func weaker(p Disposition) Disposition {
	if p == DispositionReject {
		return DispositionQuarantine
	}
	return DispositionNone
}

func tempOr(v Verdict, err error) Verdict {
	v.Err = err
	v.Result = ResultTempError
	v.Disposition = DispositionNone
	return v
}

// percentDraw is a uniform integer in [0, 100) from r, by rejection so
// that no value is favoured.
func percentDraw(r io.Reader) (int, error) {
	if r == nil {
		return 0, errors.New("dmarc: pct needs a random source")
	}
	var b [2]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, fmt.Errorf("dmarc: random source: %w", err)
		}
		if n := int(b[0])<<8 | int(b[1]); n < 65500 {
			return n % 100, nil
		}
	}
}

func normDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

// pslOrg is RFC 7489's organizational domain: one label below the public
// suffix.
func pslOrg(d string) string {
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d // a public suffix itself, or a single label
	}
	return org
}

type lookup struct {
	rec *record
	err error
}

type walker struct {
	ctx   context.Context
	r     env.Resolver
	cache map[string]lookup
}

// fetch looks for a DMARC record at _dmarc.<domain>: nil without error if
// there is none (no TXT, or none starting v=DMARC1), errTemp on a DNS
// failure other than "not found".
func (w *walker) fetch(domain string) (*record, error) {
	if l, ok := w.cache[domain]; ok {
		return l.rec, l.err
	}
	rec, err := w.fetchUncached(domain)
	w.cache[domain] = lookup{rec, err}
	return rec, err
}

func (w *walker) fetchUncached(domain string) (*record, error) {
	txts, err := w.r.LookupTXT(w.ctx, "_dmarc."+domain)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: _dmarc.%s: %v", errTemp, domain, err)
	}
	var recs []*record
	for _, txt := range txts {
		if !strings.HasPrefix(strings.TrimSpace(txt), "v=DMARC1") {
			continue
		}
		rec, err := msgdmarc.Parse(txt)
		if err != nil {
			// An invalid record counts as none (RFC 7489 §6.6.3).
			continue
		}
		extra := extraTags(txt)
		r := &record{domain: domain, rec: rec, psd: strings.ToLower(extra["psd"]),
			test: strings.EqualFold(extra["t"], "y")}
		switch p := msgdmarc.Policy(strings.ToLower(extra["np"])); p {
		case msgdmarc.PolicyNone, msgdmarc.PolicyQuarantine, msgdmarc.PolicyReject:
			r.np = p
		}
		recs = append(recs, r)
	}
	if len(recs) != 1 {
		return nil, nil // none, or more than one: no policy (§6.6.3)
	}
	return recs[0], nil
}

func isNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// extraTags reads the tags go-msgauth does not keep.
func extraTags(txt string) map[string]string {
	out := map[string]string{}
	for _, spec := range strings.Split(txt, ";") {
		k, v, ok := strings.Cut(spec, "=")
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func (w *walker) rfc7489Policy(from, org string) (*record, error) {
	rec, err := w.fetch(from)
	if err != nil || rec != nil || org == from {
		return rec, err
	}
	return w.fetch(org)
}

// walkNames lists the names DMARCbis's tree walk queries, longest first:
// the domain itself, then (if it has more than 8 labels) the name of its
// last 7 labels, then each shorter name down to one label.
func walkNames(domain string) []string {
	labels := strings.Split(domain, ".")
	names := []string{domain}
	start := 1
	if len(labels) > 8 {
		start = len(labels) - 7
	}
	for i := start; i < len(labels); i++ {
		names = append(names, strings.Join(labels[i:], "."))
	}
	return names
}

func (w *walker) treeWalkPolicy(from string) (*record, error) {
	for _, n := range walkNames(from) {
		rec, err := w.fetch(n)
		if err != nil || rec != nil {
			return rec, err
		}
	}
	return nil, nil
}

// treeWalkOrg finds a domain's organizational domain by DMARCbis's walk: a
// record with psd=n marks the organizational domain itself, one with psd=y
// a public suffix domain whose child on the path is the organizational
// domain; otherwise the shortest name with a record is, or failing all,
// the domain itself.
func (w *walker) treeWalkOrg(domain string) (string, error) {
	names := walkNames(domain)
	shortest := ""
	for i, n := range names {
		rec, err := w.fetch(n)
		if err != nil {
			return "", err
		}
		if rec == nil {
			continue
		}
		switch rec.psd {
		case "n":
			return n, nil
		case "y":
			if i == 0 {
				return n, nil
			}
			return names[i-1], nil
		}
		shortest = n
	}
	if shortest != "" {
		return shortest, nil
	}
	return domain, nil
}

// exists reports whether a domain exists for np= (RFC 9091 §4.1: it has an
// A, AAAA or MX record, or at least is not NXDOMAIN for them).
func (w *walker) exists(domain string) (bool, error) {
	ips, errIP := w.r.LookupIPAddr(w.ctx, domain)
	if errIP == nil && len(ips) > 0 {
		return true, nil
	}
	mxs, errMX := w.r.LookupMX(w.ctx, domain)
	if errMX == nil && len(mxs) > 0 {
		return true, nil
	}
	for _, err := range []error{errIP, errMX} {
		if err != nil && !isNotFound(err) {
			return false, fmt.Errorf("%w: %s: %v", errTemp, domain, err)
		}
	}
	return false, nil
}
