// Package srs rewrites envelope senders with the Sender Rewriting Scheme,
// so a forwarded message passes SPF at its next hop and its bounces still
// find the original sender: SRS0 for a first forward, SRS1 when an SRS0
// address is forwarded again, and the reversal of both for bounces. The
// format is the one postsrsd (libsrs2) writes and reads, so a deployment
// can move between the two: an HMAC-SHA1 over the lower-cased fields, its
// first four base64 characters, a two-character base32 day count modulo
// 1024, and "=" after each field.
//
// Time comes from the caller, never a clock.
package srs

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

const (
	timeBaseChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	timeSlots     = 1 << 10 // two base32 characters
	day           = 24 * time.Hour
	// DefaultMaxAge is libsrs2's default: bounces more than 21 days after
	// the forward are refused.
	DefaultMaxAge = 21 * day
	hashLen       = 4
)

// Rewriter forwards and reverses addresses for one forwarding domain.
type Rewriter struct {
	// Domain is the forwarding domain, the part after "@" of rewritten
	// addresses.
	Domain string
	// Secrets: the first signs, any of them verifies (so a secret can be
	// rotated, as the lines of postsrsd's secret file).
	Secrets [][]byte
	// MaxAge bounds how old a reversed address may be (DefaultMaxAge if 0).
	MaxAge time.Duration
	// Separator follows "SRS0"/"SRS1" in addresses this rewriter writes:
	// '=' (the default), '+' or '-'. Any of them is read.
	Separator byte
	// Bugs switches on seeded bugs (bugs.go); zero in production.
	Bugs Bugs
}

// Errors of Reverse and Forward. HashError and ExpiredError wrap
// ErrInvalid so a caller can test for any refused address at once.
var (
	ErrNotSRS    = errors.New("srs: not an SRS address")
	ErrInvalid   = errors.New("srs: invalid SRS address")
	ErrNoSecret  = errors.New("srs: no secret configured")
	ErrBadSender = errors.New("srs: sender is not local@domain")
)

// HashError means the address's hash is not one of ours.
type HashError struct{ Address string }

func (e *HashError) Error() string { return "srs: hash does not match in " + e.Address }
func (e *HashError) Unwrap() error { return ErrInvalid }

// ExpiredError means the address's timestamp is older than MaxAge.
type ExpiredError struct {
	Address string
	Age     time.Duration
}

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("srs: address %s expired (%d days old)", e.Address, int(e.Age/day))
}
func (e *ExpiredError) Unwrap() error { return ErrInvalid }

// SyntaxError means the address starts like SRS but is not well formed.
type SyntaxError struct {
	Address string
	Reason  string
}

func (e *SyntaxError) Error() string { return "srs: " + e.Reason + " in " + e.Address }
func (e *SyntaxError) Unwrap() error { return ErrInvalid }

func (r *Rewriter) sep() byte {
	if r.Separator == 0 {
		return '='
	}
	return r.Separator
}

func isSep(c byte) bool { return c == '=' || c == '+' || c == '-' }

// Forward rewrites sender for forwarding through r.Domain at time now: a
// plain address becomes SRS0, an SRS0 or SRS1 address becomes SRS1 (which
// keeps the first forwarder, so a bounce goes back there in one step). A
// sender already at r.Domain and the null sender are returned unchanged.
func (r *Rewriter) Forward(sender string, now time.Time) (string, error) {
	if sender == "" {
		return "", nil
	}
	if len(r.Secrets) == 0 {
		return "", ErrNoSecret
	}
	at := strings.LastIndexByte(sender, '@')
	if at <= 0 || at == len(sender)-1 {
		return "", ErrBadSender
	}
	user, host := sender[:at], sender[at+1:]
	if strings.ContainsAny(host, "= \t") {
		return "", ErrBadSender // a domain never holds the field separator
	}
	if strings.EqualFold(host, r.Domain) {
		return sender, nil
	}
	sep := string(r.sep())
	if hasTag(user, "SRS0") {
		// SRS1=<hash>=<previous forwarder>=<separator>SRS0 fields...
		rest := user[4:]
		hash := r.hash(r.Secrets[0], host, rest)
		return "SRS1" + sep + hash + "=" + host + "=" + rest + "@" + r.Domain, nil
	}
	if hasTag(user, "SRS1") {
		fields := strings.SplitN(user[5:], "=", 3)
		if len(fields) < 3 || fields[1] == "" || fields[2] == "" {
			return "", &SyntaxError{sender, "SRS1 address without forwarder and user"}
		}
		firstHost, rest := fields[1], fields[2]
		hash := r.hash(r.Secrets[0], firstHost, rest)
		return "SRS1" + sep + hash + "=" + firstHost + "=" + rest + "@" + r.Domain, nil
	}
	stamp := timestamp(now)
	hash := r.hash(r.Secrets[0], stamp, host, user)
	return "SRS0" + sep + hash + "=" + stamp + "=" + host + "=" + user + "@" + r.Domain, nil
}

// Reverse undoes a rewrite at time now: an SRS0 address gives the original
// sender (after checking its hash, case-insensitively as postsrsd does
// since some systems fold the local part's case, and its age), an SRS1
// address gives the SRS0 address at the first forwarder (after checking
// its hash). Anything else is ErrNotSRS.
func (r *Rewriter) Reverse(addr string, now time.Time) (string, error) {
	if len(r.Secrets) == 0 {
		return "", ErrNoSecret
	}
	at := strings.LastIndexByte(addr, '@')
	user := addr
	if at >= 0 {
		user = addr[:at]
	}
	switch {
	case hasTag(user, "SRS0"):
		fields := strings.SplitN(user[5:], "=", 4)
		if len(fields) < 4 {
			return "", &SyntaxError{addr, "SRS0 address needs hash, timestamp, domain and user"}
		}
		hash, stamp, host, orig := fields[0], fields[1], fields[2], fields[3]
		if len(hash) < hashLen {
			return "", &SyntaxError{addr, "hash too short"}
		}
		if host == "" || orig == "" {
			return "", &SyntaxError{addr, "empty domain or user"}
		}
		if !r.hashOK(hash, stamp, host, orig) {
			return "", &HashError{addr}
		}
		then, err := parseTimestamp(stamp)
		if err != nil {
			return "", &SyntaxError{addr, err.Error()}
		}
		if age := r.age(then, now); age > r.maxAge() {
			return "", &ExpiredError{addr, age}
		}
		return orig + "@" + host, nil
	case hasTag(user, "SRS1"):
		fields := strings.SplitN(user[5:], "=", 3)
		if len(fields) < 3 {
			return "", &SyntaxError{addr, "SRS1 address needs hash, forwarder and user"}
		}
		hash, host, rest := fields[0], fields[1], fields[2]
		if host == "" || rest == "" {
			return "", &SyntaxError{addr, "empty forwarder or user"}
		}
		if !r.hashOK(hash, host, rest) {
			return "", &HashError{addr}
		}
		return "SRS0" + rest + "@" + host, nil
	}
	return "", ErrNotSRS
}

func hasTag(user, tag string) bool {
	return len(user) > 4 && strings.EqualFold(user[:4], tag) && isSep(user[4])
}

// hash is libsrs2's: HMAC-SHA1 over the fields, each lower-cased, the
// first four characters of its base64.
func (r *Rewriter) hash(secret []byte, fields ...string) string {
	m := hmac.New(sha1.New, secret)
	for _, f := range fields {
		m.Write([]byte(strings.ToLower(f)))
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))[:hashLen]
}

func (r *Rewriter) hashOK(got string, fields ...string) bool {
	if r.Bugs.SkipHashCheck {
		return true
	}
	for _, s := range r.Secrets {
		if len(got) == hashLen && strings.EqualFold(got, r.hash(s, fields...)) {
			return true
		}
	}
	return false
}

func (r *Rewriter) maxAge() time.Duration {
	if r.MaxAge == 0 {
		return DefaultMaxAge
	}
	return r.MaxAge
}

// age is how many whole days lie between a stamp (a day count modulo 1024)
// and now, taking the stamp as the latest such day not after now. A stamp
// of tomorrow is taken as today's: the clock that wrote it stepped back
// over midnight since (or runs ahead of this one), and reading it as 1023
// days old would refuse every bounce of the last day.
func (r *Rewriter) age(then int, now time.Time) time.Duration {
	today := int(now.Unix()/int64(day/time.Second)) % timeSlots
	if (then-today+timeSlots)%timeSlots == 1 {
		return 0
	}
	return time.Duration((today-then+timeSlots)%timeSlots) * day
}

func timestamp(now time.Time) string {
	days := int(now.Unix()/int64(day/time.Second)) % timeSlots
	return string([]byte{timeBaseChars[days>>5], timeBaseChars[days&31]})
}

func parseTimestamp(s string) (int, error) {
	if len(s) != 2 {
		return 0, errors.New("timestamp is not two characters")
	}
	v := 0
	for i := range 2 {
		idx := strings.IndexByte(timeBaseChars, upper(s[i]))
		if idx < 0 {
			return 0, fmt.Errorf("timestamp character %q", s[i])
		}
		v = v<<5 | idx
	}
	return v, nil
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
