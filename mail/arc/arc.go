// Package arc seals messages with Authenticated Received Chain sets and
// validates chains (RFC 8617): each intermediary that changes a message adds
// an ARC-Authentication-Results (what it saw), an ARC-Message-Signature (a
// DKIM-like signature of the message as it forwards it) and an ARC-Seal
// (a signature over all sets so far, with the chain's status cv=). Signing
// and canonicalization are those of package dkim, so the signer is ours and
// deterministic: the time comes from the caller.
package arc

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/mail/authres"
	"github.com/edgelab/edgelab/mail/dkim"
	"github.com/edgelab/edgelab/mail/internal/hdr"
	"github.com/edgelab/edgelab/sim/env"
)

// Field names.
const (
	AARField = "ARC-Authentication-Results"
	AMSField = "ARC-Message-Signature"
	ASField  = "ARC-Seal"
)

// MaxInstances is the highest instance a chain may reach (RFC 8617 §4.2.1).
const MaxInstances = 50

// minRSABits is the smallest RSA key accepted (RFC 8301 §3.2).
const minRSABits = 1024

// Status is a chain validation status, the cv= of a seal.
type Status string

const (
	None Status = "none"
	Pass Status = "pass"
	Fail Status = "fail"
)

// Verdict is the outcome of validating a chain.
type Verdict struct {
	Status Status
	// Instances is the number of ARC sets found (0 for none).
	Instances int
	// OldestPass is the lowest instance whose AMS still validates, when the
	// chain passes (RFC 8617 §5.2 step 3's optional oldest-pass); 0 when
	// every AMS down to instance 1 validates.
	OldestPass int
	// Reason says why the chain failed.
	Reason string
	// TempError is set when a key lookup failed temporarily: the chain
	// failed for now, not for ever.
	TempError bool
}

// set is one instance's three fields.
type set struct {
	aar, ams, as          hdr.Field
	amsTags, asTags       hdr.Tags
	hasAAR, hasAMS, hasAS bool
}

// chainError is a failed validation with its reason.
type chainError struct {
	reason string
	temp   bool
}

func (e *chainError) Error() string { return "arc: " + e.reason }

func failf(format string, args ...any) error {
	return &chainError{reason: fmt.Sprintf(format, args...)}
}

// instanceOf reads i= from an ARC field. For the AAR, i= must come first and
// be followed by ";" (its value is otherwise an Authentication-Results
// payload, not a tag-list).
func instanceOf(f hdr.Field, aar bool) (int, hdr.Tags, error) {
	v := f.Value()
	if aar {
		first, _, ok := strings.Cut(v, ";")
		if !ok {
			return 0, nil, failf("AAR without ';' after i=")
		}
		name, val, ok := strings.Cut(first, "=")
		if !ok || strings.TrimSpace(name) != "i" {
			return 0, nil, failf("AAR does not start with i=")
		}
		n, err := parseInstance(strings.TrimSpace(val))
		return n, nil, err
	}
	tags, err := hdr.ParseTags(v)
	if err != nil {
		return 0, nil, failf("%s: %v", f.Name(), err)
	}
	val, ok := tags.Get("i")
	if !ok {
		return 0, nil, failf("%s without i=", f.Name())
	}
	n, err := parseInstance(val)
	return n, tags, err
}

func parseInstance(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxInstances || strconv.Itoa(n) != s {
		return 0, failf("bad instance %q", s)
	}
	return n, nil
}

// collect gathers the ARC sets. No ARC field at all gives (nil, nil).
func collect(fields []hdr.Field) ([]set, error) {
	var sets []set
	seen := false
	for _, f := range fields {
		kind := ""
		switch {
		case f.Is(AARField):
			kind = "aar"
		case f.Is(AMSField):
			kind = "ams"
		case f.Is(ASField):
			kind = "as"
		default:
			continue
		}
		seen = true
		n, tags, err := instanceOf(f, kind == "aar")
		if err != nil {
			return nil, err
		}
		for len(sets) < n {
			sets = append(sets, set{})
		}
		s := &sets[n-1]
		switch kind {
		case "aar":
			if s.hasAAR {
				return nil, failf("two AARs for instance %d", n)
			}
			s.aar, s.hasAAR = f, true
		case "ams":
			if s.hasAMS {
				return nil, failf("two AMSs for instance %d", n)
			}
			s.ams, s.amsTags, s.hasAMS = f, tags, true
		case "as":
			if s.hasAS {
				return nil, failf("two ASs for instance %d", n)
			}
			s.as, s.asTags, s.hasAS = f, tags, true
		}
	}
	if !seen {
		return nil, nil
	}
	for i, s := range sets {
		if !s.hasAAR || !s.hasAMS || !s.hasAS {
			return nil, failf("instance %d is incomplete", i+1)
		}
	}
	return sets, nil
}

// Verify validates msg's chain (RFC 8617 §5.2): none without ARC fields;
// otherwise every instance 1..N complete, cv=none at instance 1 and pass
// above it, the newest AMS and every AS valid.
func Verify(ctx context.Context, r env.Resolver, msg []byte) Verdict {
	fields, body, err := hdr.Split(msg)
	if err != nil {
		if !mentionsARC(msg) {
			// A header we cannot read, but no chain in it either.
			return Verdict{Status: None}
		}
		return Verdict{Status: Fail, Reason: err.Error()}
	}
	v, _ := verify(ctx, r, fields, body)
	return v
}

// mentionsARC reports whether any line of the header starts like an ARC
// field name.
func mentionsARC(msg []byte) bool {
	head, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	for _, line := range bytes.Split(head, []byte("\n")) {
		line = bytes.TrimLeft(line, "\r")
		if len(line) >= 4 && bytes.EqualFold(line[:4], []byte("arc-")) {
			return true
		}
	}
	return false
}

func verify(ctx context.Context, r env.Resolver, fields []hdr.Field, body []byte) (Verdict, []set) {
	sets, err := collect(fields)
	if err != nil {
		return failed(err, 0), nil
	}
	if sets == nil {
		return Verdict{Status: None}, nil
	}
	n := len(sets)
	v := Verdict{Instances: n}
	if cv, _ := sets[n-1].asTags.Get("cv"); cv == string(Fail) {
		return failed(failf("instance %d sealed the chain as failed", n), n), sets
	}
	for i, s := range sets {
		cv, _ := s.asTags.Get("cv")
		want := string(Pass)
		if i == 0 {
			want = string(None)
		}
		if cv != want {
			return failed(failf("instance %d has cv=%q, want %s", i+1, cv, want), n), sets
		}
	}
	if err := verifyAMS(ctx, r, fields, body, sets[n-1]); err != nil {
		return failed(err, n), sets
	}
	for i := n - 1; i >= 0; i-- {
		if err := verifyAS(ctx, r, sets[:i+1]); err != nil {
			return failed(err, n), sets
		}
	}
	v.Status = Pass
	// The oldest AMS that still validates (the newest one does).
	v.OldestPass = n
	for i := n - 2; i >= 0; i-- {
		if verifyAMS(ctx, r, fields, body, sets[i]) != nil {
			break
		}
		v.OldestPass = i + 1
	}
	if v.OldestPass == 1 {
		v.OldestPass = 0
	}
	return v, sets
}

func failed(err error, n int) Verdict {
	v := Verdict{Status: Fail, Instances: n, Reason: err.Error()}
	var ce *chainError
	if errors.As(err, &ce) {
		v.TempError = ce.temp
	}
	return v
}

// sigTags reads the tags both ARC signatures need.
type sigTags struct {
	alg         dkim.Algorithm
	sig         []byte
	domain, sel string
}

func readSigTags(name string, tags hdr.Tags) (sigTags, error) {
	var st sigTags
	a, ok := tags.Get("a")
	if !ok {
		return st, failf("%s without a=", name)
	}
	switch dkim.Algorithm(a) {
	case dkim.RSASHA256, dkim.Ed25519SHA256:
		st.alg = dkim.Algorithm(a)
	default:
		return st, failf("%s: algorithm %q", name, a)
	}
	b, ok := tags.Get("b")
	if !ok {
		return st, failf("%s without b=", name)
	}
	sig, err := base64.StdEncoding.DecodeString(hdr.StripWS(b))
	if err != nil || len(sig) == 0 {
		return st, failf("%s: bad b=", name)
	}
	st.sig = sig
	if st.domain, ok = tags.Get("d"); !ok || st.domain == "" {
		return st, failf("%s without d=", name)
	}
	if st.sel, ok = tags.Get("s"); !ok || st.sel == "" {
		return st, failf("%s without s=", name)
	}
	if t, ok := tags.Get("t"); ok {
		if _, err := strconv.ParseUint(t, 10, 63); err != nil {
			return st, failf("%s: bad t=", name)
		}
	}
	return st, nil
}

func checkSignature(ctx context.Context, r env.Resolver, name string, st sigTags, digest []byte) error {
	pub, err := dkim.LookupKey(ctx, r, st.domain, st.sel)
	if err != nil {
		var ke *dkim.KeyError
		temp := errors.As(err, &ke) && ke.Temporary
		return &chainError{reason: name + ": " + err.Error(), temp: temp}
	}
	if rk, ok := pub.(*rsa.PublicKey); ok && rk.N.BitLen() < minRSABits {
		return failf("%s: %d-bit RSA key", name, rk.N.BitLen())
	}
	if err := dkim.VerifyHash(pub, st.alg, digest, st.sig); err != nil {
		return failf("%s: %v", name, err)
	}
	return nil
}

func verifyAMS(ctx context.Context, r env.Resolver, fields []hdr.Field, body []byte, s set) error {
	name := fmt.Sprintf("AMS %s", instanceTag(s.amsTags))
	st, err := readSigTags(name, s.amsTags)
	if err != nil {
		return err
	}
	// Without c=, DKIM would mean simple/simple; the ARC test suite's
	// c-less AMS (ams_fields_c_na) is relaxed/relaxed, as ARC signers
	// write it, and RFC 8617 names no default of its own.
	hc, bc, ok := hdr.ParseCanon(tagOr(s.amsTags, "c", "relaxed/relaxed"))
	if !ok {
		return failf("%s: bad c=", name)
	}
	h, ok := s.amsTags.Get("h")
	if !ok {
		return failf("%s without h=", name)
	}
	names := hdr.SplitList(h)
	for _, n := range names {
		if strings.EqualFold(n, ASField) {
			return failf("%s signs an ARC-Seal", name)
		}
	}
	bh, ok := s.amsTags.Get("bh")
	if !ok {
		return failf("%s without bh=", name)
	}
	want, err := base64.StdEncoding.DecodeString(hdr.StripWS(bh))
	if err != nil || len(want) == 0 {
		return failf("%s: bad bh=", name)
	}
	if string(hdr.BodyHash(body, bc)) != string(want) {
		return failf("%s: body hash does not match", name)
	}
	digest := hdr.HeaderHash(hdr.Select(fields, names), s.ams, hc)
	return checkSignature(ctx, r, name, st, digest)
}

// sealedFields lists what the seal of the last set in sets signs: every
// set's AAR, AMS and AS in instance order (RFC 8617 §5.1.1), the last AS
// being the seal itself.
func sealedFields(sets []set) []hdr.Field {
	var out []hdr.Field
	for i, s := range sets {
		out = append(out, s.aar, s.ams)
		if i < len(sets)-1 {
			out = append(out, s.as)
		}
	}
	return out
}

func verifyAS(ctx context.Context, r env.Resolver, sets []set) error {
	s := sets[len(sets)-1]
	name := fmt.Sprintf("AS %s", instanceTag(s.asTags))
	if _, ok := s.asTags.Get("h"); ok {
		return failf("%s has h=", name)
	}
	st, err := readSigTags(name, s.asTags)
	if err != nil {
		return err
	}
	digest := hdr.HeaderHash(sealedFields(sets), s.as, hdr.Relaxed)
	return checkSignature(ctx, r, name, st, digest)
}

func instanceTag(tags hdr.Tags) string { return "i=" + tagOr(tags, "i", "?") }

func tagOr(tags hdr.Tags, name, def string) string {
	if v, ok := tags.Get(name); ok {
		return v
	}
	return def
}

// Sealer adds ARC sets.
type Sealer struct {
	// AuthServID names this ADMD in its Authentication-Results; those of
	// the message's Authentication-Results fields with this authserv-id
	// become the AAR.
	AuthServID string
	Domain     string
	Selector   string
	Key        crypto.Signer
	// Headers are the fields the AMS signs; nil means dkim.DefaultHeaders
	// as the DKIM signer uses them. ARC-Seal is never signed.
	Headers []string
}

// ErrChainFull is returned when a message already carries MaxInstances sets.
var ErrChainFull = errors.New("arc: chain already has the maximum number of instances")

// ErrChainFailed is returned when the newest seal already says cv=fail:
// such a chain is failed for good, and a further set would only be a
// second failing one (the ARC test suite's no_additional_sig expects none).
var ErrChainFailed = errors.New("arc: chain already sealed as failed")

// Seal validates msg's chain through r and returns the new set's three
// fields (ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results, to
// put at the top of the message in that order) with the status it sealed.
func (s *Sealer) Seal(ctx context.Context, r env.Resolver, msg []byte, now time.Time) (string, Status, error) {
	fields, body, err := hdr.Split(msg)
	if err != nil {
		return "", "", err
	}
	v, _ := verify(ctx, r, fields, body)
	out, err := s.seal(fields, body, v, now)
	return out, v.Status, err
}

// SealWith seals with a chain status the caller established (by Verify on
// this same message).
func (s *Sealer) SealWith(msg []byte, v Verdict, now time.Time) (string, error) {
	fields, body, err := hdr.Split(msg)
	if err != nil {
		return "", err
	}
	return s.seal(fields, body, v, now)
}

func (s *Sealer) seal(fields []hdr.Field, body []byte, v Verdict, now time.Time) (string, error) {
	alg, err := dkim.AlgorithmOf(s.Key)
	if err != nil {
		return "", err
	}
	if sets, _ := collect(fields); len(sets) > 0 {
		if cv, _ := sets[len(sets)-1].asTags.Get("cv"); cv == string(Fail) {
			return "", ErrChainFailed
		}
	}
	// The new instance follows the highest one present, even in a chain
	// too broken to validate, so that no instance is written twice.
	n := max(v.Instances, highestInstance(fields)) + 1
	if n > MaxInstances {
		return "", ErrChainFull
	}
	cv := v.Status
	if cv == "" {
		cv = None
	}
	if n > 1 && cv == None {
		cv = Fail // a message with ARC sets has a chain that passes or fails
	}
	inst := strconv.Itoa(n)
	ts := strconv.FormatInt(now.Unix(), 10)

	aar := hdr.Field(AARField + ": i=" + inst + "; " + s.consolidate(fields) + "\r\n")

	names := s.Headers
	if names == nil {
		names = defaultAMSHeaders(fields)
	}
	// The AMS, in the tag order the ARC test suite standardizes on
	// (alphabetical, b= second).
	amsTags := []hdr.Tag{
		{Name: "a", Value: string(alg)},
		{Name: "b"},
		{Name: "bh", Value: base64.StdEncoding.EncodeToString(hdr.BodyHash(body, hdr.Relaxed))},
		{Name: "c", Value: "relaxed/relaxed"},
		{Name: "d", Value: s.Domain},
		{Name: "h", Value: strings.Join(names, ":")},
		{Name: "i", Value: inst},
		{Name: "s", Value: s.Selector},
		{Name: "t", Value: ts},
	}
	withAAR := append(append([]hdr.Field(nil), fields...), aar)
	ams, err := dkim.SignField(AMSField, amsTags, s.Key, hdr.Select(withAAR, names), hdr.Relaxed, false)
	if err != nil {
		return "", err
	}

	var sets []set
	if cv != Fail {
		sets, _ = collect(fields)
	}
	// A failed chain is sealed over the new set alone, as if it were the
	// only one (RFC 8617 §5.1.2): the older sets are what failed.
	sets = append(sets, set{aar: aar, ams: ams})
	asTags := []hdr.Tag{
		{Name: "a", Value: string(alg)},
		{Name: "b"},
		{Name: "cv", Value: string(cv)},
		{Name: "d", Value: s.Domain},
		{Name: "i", Value: inst},
		{Name: "s", Value: s.Selector},
		{Name: "t", Value: ts},
	}
	signed := sealedFields(sets)
	as, err := dkim.SignField(ASField, asTags, s.Key, signed, hdr.Relaxed, false)
	if err != nil {
		return "", err
	}
	return string(as) + string(ams) + string(aar), nil
}

// highestInstance is the largest i= of any ARC field that states one
// readably, 0 if none does.
func highestInstance(fields []hdr.Field) int {
	high := 0
	for _, f := range fields {
		if !f.Is(AARField) && !f.Is(AMSField) && !f.Is(ASField) {
			continue
		}
		if n, _, err := instanceOf(f, f.Is(AARField)); err == nil {
			high = max(high, n)
		}
	}
	return high
}

// defaultAMSHeaders signs the DKIM signer's default fields that are present,
// plus the DKIM-Signatures, so a later hop sees them unchanged.
func defaultAMSHeaders(fields []hdr.Field) []string {
	var names []string
	for _, n := range append(append([]string(nil), dkim.DefaultHeaders...), "dkim-signature") {
		for _, f := range fields {
			if f.Is(n) {
				names = append(names, n)
			}
		}
	}
	return names
}

// consolidate gathers the results of every Authentication-Results field
// with our authserv-id, in order, each resinfo kept as written (comments
// included), one per line; "none" when there are none.
func (s *Sealer) consolidate(fields []hdr.Field) string {
	var results []string
	for _, f := range fields {
		if !f.Is("Authentication-Results") {
			continue
		}
		parts := splitTopLevel(strings.ReplaceAll(f.Value(), "\r\n", ""))
		if len(parts) == 0 {
			continue
		}
		id := strings.Fields(parts[0])
		if len(id) == 0 || !strings.EqualFold(strings.Trim(id[0], `"`), s.AuthServID) {
			continue
		}
		for _, p := range parts[1:] {
			if p = strings.TrimSpace(p); p != "" && !strings.EqualFold(p, "none") {
				results = append(results, p)
			}
		}
	}
	if len(results) == 0 {
		return s.AuthServID + "; none"
	}
	return s.AuthServID + ";\r\n\t" + strings.Join(results, ";\r\n\t")
}

// splitTopLevel splits at ';' outside comments and quoted strings.
func splitTopLevel(v string) []string {
	var parts []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\':
			i++
		case quoted:
			quoted = c != '"'
		case c == '"':
			quoted = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == ';' && depth == 0:
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}

// AuthResult is the verdict as an Authentication-Results resinfo (arc=,
// with header.oldest-pass when the chain passes, and the reason when it
// fails).
func (v Verdict) AuthResult() authres.Result {
	r := authres.Result{Method: "arc", Value: string(v.Status)}
	if v.Status == Pass {
		r.Props = []authres.Prop{{Type: "header", Name: "oldest-pass", Value: strconv.Itoa(v.OldestPass)}}
	}
	if v.Status == Fail {
		r.Reason = v.Reason
	}
	return r
}
