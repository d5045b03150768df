package srs

import (
	"errors"
	"testing"
	"time"
)

// A clock stepped back over midnight between forwarding and the bounce:
// the stamp reads as tomorrow's, which is recent, not 1023 days old. Two
// days ahead is still refused.
func TestStampOfTomorrowIsRecent(t *testing.T) {
	r := &Rewriter{Domain: "fwd.example", Secrets: [][]byte{[]byte("k")}}
	at := time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC)
	addr, err := r.Forward("user@example.org", at)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.Reverse(addr, at.Add(-10*time.Second)); err != nil || got != "user@example.org" {
		t.Fatalf("a second before midnight: %q, %v", got, err)
	}
	var exp *ExpiredError
	if _, err := r.Reverse(addr, at.Add(-36*time.Hour)); !errors.As(err, &exp) {
		t.Fatalf("two days back: %v, want an ExpiredError", err)
	}
}
