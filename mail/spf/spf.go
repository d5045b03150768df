// Package spf checks whether a client may send mail for a domain (SPF, RFC
// 7208). The evaluation is blitiri.com.ar/go/spf's; this package runs it on
// the Env resolver, so a check in a simulation asks the simulated DNS, and
// returns the result with the reason for it and, for a fail, the failing
// domain's explanation (exp=, which the library ignores, evaluated here).
package spf

import (
	"context"
	"errors"
	"net"
	"time"

	blitiri "blitiri.com.ar/go/spf"

	"github.com/edgelab/edgelab/mail/authres"
	"github.com/edgelab/edgelab/sim/env"
)

// Result is an SPF result (RFC 7208 §2.6), spelled as Authentication-Results
// spells it.
type Result string

const (
	None      Result = "none"
	Neutral   Result = "neutral"
	Pass      Result = "pass"
	Fail      Result = "fail"
	SoftFail  Result = "softfail"
	TempError Result = "temperror"
	PermError Result = "permerror"
)

// Verdict is the outcome of one check.
type Verdict struct {
	Result Result
	// Domain is the domain whose policy was checked: the sender's, or the
	// HELO name's when the sender is null.
	Domain string
	// Sender and Helo are the identities the check was asked about.
	Sender, Helo string
	// Reason says why, in words (the mechanism that matched, the record or
	// lookup that failed), for logs.
	Reason string
	// Explanation is, for a fail, the text the failing domain publishes
	// through exp= (RFC 7208 §6.2), macros expanded; empty when it
	// publishes none or it cannot be had.
	Explanation string
}

// Option adjusts a check.
type Option func(*options)

type options struct {
	now      time.Time
	receiver string
}

// At gives the time %{t} expands to in an explanation; without it an
// explanation using %{t} is dropped rather than read a clock.
func At(now time.Time) Option { return func(o *options) { o.now = now } }

// Receiver names the checking host for %{r} ("unknown" otherwise).
func Receiver(name string) Option { return func(o *options) { o.receiver = name } }

// Check evaluates check_host() for a client at ip that said helo and gave
// sender in MAIL FROM (empty for the null sender, in which case the HELO
// identity is checked, RFC 7208 §2.4). DNS goes through r and obeys ctx.
func Check(ctx context.Context, r env.Resolver, ip net.IP, helo, sender string, opts ...Option) Verdict {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	domain := helo
	if sender != "" {
		if _, d, ok := cut(sender); ok {
			domain = d
		}
	}
	res, err := blitiri.CheckHostWithSender(ip, helo, sender,
		blitiri.WithContext(ctx), blitiri.WithResolver(r))
	v := Verdict{Result: Result(res), Domain: domain, Sender: sender, Helo: helo}
	switch {
	case err != nil && !errors.Is(err, blitiri.ErrNoResult):
		v.Reason = err.Error()
	case res == blitiri.None:
		v.Reason = "no SPF record"
	default:
		v.Reason = string(res)
	}
	if res == blitiri.Fail {
		v.Explanation = explain(ctx, r, ip, helo, sender, o)
	}
	return v
}

func cut(addr string) (local, domain string, ok bool) {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == '@' {
			return addr[:i], addr[i+1:], true
		}
	}
	return addr, "", false
}

// AuthResult is the verdict as an Authentication-Results resinfo:
// smtp.mailfrom for a sender, smtp.helo for the null sender.
func (v Verdict) AuthResult() authres.Result {
	r := authres.Result{Method: "spf", Value: string(v.Result)}
	if v.Sender != "" {
		r.Props = []authres.Prop{{Type: "smtp", Name: "mailfrom", Value: v.Sender}}
	} else {
		r.Props = []authres.Prop{{Type: "smtp", Name: "helo", Value: v.Helo}}
	}
	return r
}
