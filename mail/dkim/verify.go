package dkim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"github.com/edgelab/edgelab/mail/authres"
	"github.com/edgelab/edgelab/mail/internal/hdr"
	"github.com/edgelab/edgelab/sim/env"
)

// Status is a DKIM result as Authentication-Results names it (RFC 8601
// §2.7.1).
type Status string

const (
	StatusPass      Status = "pass"
	StatusFail      Status = "fail"
	StatusTempError Status = "temperror"
	StatusPermError Status = "permerror"
)

// Result is the verdict on one DKIM-Signature field.
type Result struct {
	Status     Status
	Domain     string // d=
	Identifier string // i= (or "@" + d=)
	Selector   string // s=
	Algorithm  string // a=
	HeaderKeys []string
	Time       time.Time // t=, zero if absent
	Expiration time.Time // x=, zero if absent
	Err        error     // why it did not pass
}

// MaxSignatures bounds how many signatures Verify checks; more are ignored.
const MaxSignatures = 8

// Verify checks every DKIM-Signature of msg (at most MaxSignatures), in
// header order, at time now. Keys come through r.
//
// go-msgauth verifies several signatures on goroutines of its own and would
// call the key lookup from them. So that every lookup happens on the
// caller's task, in order, Verify first fetches every key through r and
// then hands go-msgauth a lookup that only reads those answers: the
// goroutines then compute and touch nothing outside.
//
// go-msgauth judges x= against the wall clock; Verify also judges it
// against now, so a signature expired at now fails whatever the wall clock
// says.
func Verify(ctx context.Context, r env.Resolver, msg []byte, now time.Time) ([]Result, error) {
	fields, _, err := hdr.Split(msg)
	if err != nil {
		if !bytes.Contains(bytes.ToLower(msg), []byte("dkim-signature")) {
			return nil, nil // unreadable, but nothing signed it either
		}
		return nil, err
	}
	answers := make(map[string]txtAnswer)
	type sigInfo struct{ selector, algorithm string }
	var sigs []sigInfo
	for _, f := range fields {
		if !f.Is("DKIM-Signature") {
			continue
		}
		if len(sigs) == MaxSignatures {
			break
		}
		tags, _ := hdr.ParseTags(f.Value()) // a malformed field is go-msgauth's to judge
		d, _ := tags.Get("d")
		s, _ := tags.Get("s")
		a, _ := tags.Get("a")
		sigs = append(sigs, sigInfo{hdr.StripWS(s), hdr.StripWS(a)})
		d, s = hdr.StripWS(d), hdr.StripWS(s)
		if d == "" || s == "" {
			continue
		}
		name := strings.ToLower(s + "._domainkey." + d)
		if _, done := answers[name]; !done {
			txts, err := r.LookupTXT(ctx, name)
			answers[name] = txtAnswer{txts, err}
		}
	}
	if len(sigs) == 0 {
		return nil, nil
	}
	lookup := func(name string) ([]string, error) {
		a, ok := answers[strings.ToLower(name)]
		if !ok {
			return nil, &net.DNSError{Err: "not prefetched", Name: name, IsNotFound: true}
		}
		return a.txts, a.err
	}
	verifs, err := msgdkim.VerifyWithOptions(bytes.NewReader(msg), &msgdkim.VerifyOptions{
		LookupTXT:        lookup,
		MaxVerifications: MaxSignatures,
	})
	if err != nil && !errors.Is(err, msgdkim.ErrTooManySignatures) {
		return nil, fmt.Errorf("dkim: %w", err)
	}
	results := make([]Result, len(verifs))
	for i, v := range verifs {
		res := Result{
			Status:     StatusPass,
			Domain:     v.Domain,
			Identifier: v.Identifier,
			HeaderKeys: v.HeaderKeys,
			Time:       v.Time,
			Expiration: v.Expiration,
			Err:        v.Err,
		}
		if i < len(sigs) {
			res.Selector, res.Algorithm = sigs[i].selector, sigs[i].algorithm
		}
		switch {
		case v.Err == nil && !v.Expiration.IsZero() && now.After(v.Expiration):
			res.Status, res.Err = StatusPermError, errors.New("dkim: signature has expired")
		case v.Err == nil:
		case msgdkim.IsTempFail(v.Err):
			res.Status = StatusTempError
		case msgdkim.IsPermFail(v.Err):
			res.Status = StatusPermError
		default:
			res.Status = StatusFail
		}
		results[i] = res
	}
	return results, nil
}

type txtAnswer struct {
	txts []string
	err  error
}

// AuthResult is the result as an Authentication-Results resinfo (RFC 8601
// §2.7.1: header.d, header.i, header.s, header.a; the reason when it did
// not pass).
func (r Result) AuthResult() authres.Result {
	a := authres.Result{Method: "dkim", Value: string(r.Status)}
	if r.Err != nil {
		a.Reason = r.Err.Error()
	}
	for _, p := range [][2]string{{"d", r.Domain}, {"i", r.Identifier}, {"s", r.Selector}, {"a", r.Algorithm}} {
		if p[1] != "" {
			a.Props = append(a.Props, authres.Prop{Type: "header", Name: p[0], Value: p[1]})
		}
	}
	return a
}
