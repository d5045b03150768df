package srs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var vectorTime = time.Unix(1577836860, 0)

func vectorRewriter() *Rewriter {
	return &Rewriter{Domain: "example.com", Secrets: [][]byte{[]byte("tops3cr3t")}}
}

// The vector postsrsd's own tests use.
func TestPostsrsdVector(t *testing.T) {
	r := vectorRewriter()
	got, err := r.Forward("test@otherdomain.com", vectorTime)
	if err != nil {
		t.Fatal(err)
	}
	const want = "SRS0=vmyz=2W=otherdomain.com=test@example.com"
	if got != want {
		t.Fatalf("Forward = %q, want %q", got, want)
	}
	back, err := r.Reverse(got, vectorTime.Add(3*day))
	if err != nil || back != "test@otherdomain.com" {
		t.Fatalf("Reverse = %q, %v", back, err)
	}
}

func TestReverseChecksHashCaseInsensitively(t *testing.T) {
	r := vectorRewriter()
	for _, addr := range []string{
		"SRS0=vmyz=2W=otherdomain.com=test@example.com",
		"srs0=VMYZ=2w=OTHERDOMAIN.COM=TEST@EXAMPLE.COM",
	} {
		got, err := r.Reverse(addr, vectorTime)
		if err != nil || !strings.EqualFold(got, "test@otherdomain.com") {
			t.Errorf("Reverse(%q) = %q, %v", addr, got, err)
		}
	}
}

func TestReverseRefuses(t *testing.T) {
	r := vectorRewriter()
	cases := map[string]struct {
		addr string
		at   time.Time
		want any
	}{
		"wrong hash":   {"SRS0=vmyx=2W=otherdomain.com=test@example.com", vectorTime, new(*HashError)},
		"changed user": {"SRS0=vmyz=2W=otherdomain.com=tost@example.com", vectorTime, new(*HashError)},
		"expired":      {"SRS0=vmyz=2W=otherdomain.com=test@example.com", vectorTime.Add(22 * day), new(*ExpiredError)},
		"truncated":    {"SRS0=vmyz=2W@example.com", vectorTime, new(*SyntaxError)},
		"bad stamp":    {"SRS0=" + vectorRewriter().hash([]byte("tops3cr3t"), "2!", "d.example", "u") + "=2!=d.example=u@example.com", vectorTime, new(*SyntaxError)},
		"short hash":   {"SRS0=vm=2W=otherdomain.com=test@example.com", vectorTime, new(*SyntaxError)},
	}
	for name, c := range cases {
		_, err := r.Reverse(c.addr, c.at)
		switch want := c.want.(type) {
		case **HashError:
			if !errors.As(err, want) {
				t.Errorf("%s: err = %v, want HashError", name, err)
			}
		case **ExpiredError:
			if !errors.As(err, want) {
				t.Errorf("%s: err = %v, want ExpiredError", name, err)
			}
		case **SyntaxError:
			if !errors.As(err, want) {
				t.Errorf("%s: err = %v, want SyntaxError", name, err)
			}
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v does not wrap ErrInvalid", name, err)
		}
	}
	if _, err := r.Reverse("someone@example.com", vectorTime); err != ErrNotSRS {
		t.Errorf("plain address: err = %v, want ErrNotSRS", err)
	}
}

func TestExpiryBoundary(t *testing.T) {
	r := vectorRewriter()
	a, _ := r.Forward("test@otherdomain.com", vectorTime)
	if _, err := r.Reverse(a, vectorTime.Add(21*day)); err != nil {
		t.Errorf("21 days: %v", err)
	}
	if _, err := r.Reverse(a, vectorTime.Add(22*day)); err == nil {
		t.Error("22 days: accepted")
	}
}

func TestSRS1RoundTrip(t *testing.T) {
	first := vectorRewriter()
	second := &Rewriter{Domain: "second.example", Secrets: [][]byte{[]byte("other")}}
	srs0, _ := first.Forward("test@otherdomain.com", vectorTime)
	srs1, err := second.Forward(srs0, vectorTime)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srs1, "SRS1=") || !strings.HasSuffix(srs1, "=example.com==vmyz=2W=otherdomain.com=test@second.example") {
		t.Fatalf("SRS1 = %q", srs1)
	}
	// A third forwarder keeps the first forwarder in the address.
	third := &Rewriter{Domain: "third.example", Secrets: [][]byte{[]byte("third")}}
	again, err := third.Forward(srs1, vectorTime)
	if err != nil || !strings.HasSuffix(again, "=example.com==vmyz=2W=otherdomain.com=test@third.example") {
		t.Fatalf("SRS1 re-forward = %q, %v", again, err)
	}
	back, err := third.Reverse(again, vectorTime)
	if err != nil || back != srs0 {
		t.Fatalf("third.Reverse = %q, %v; want %q", back, err, srs0)
	}
	back, err = second.Reverse(srs1, vectorTime)
	if err != nil || back != srs0 {
		t.Fatalf("second.Reverse = %q, %v; want %q", back, err, srs0)
	}
	orig, err := first.Reverse(back, vectorTime)
	if err != nil || orig != "test@otherdomain.com" {
		t.Fatalf("first.Reverse = %q, %v", orig, err)
	}
	if _, err := first.Reverse(srs1, vectorTime); !errors.As(err, new(*HashError)) {
		t.Errorf("another forwarder's SRS1 accepted: %v", err)
	}
}

func TestRotatedSecretStillReverses(t *testing.T) {
	old := vectorRewriter()
	a, _ := old.Forward("test@otherdomain.com", vectorTime)
	rotated := &Rewriter{Domain: "example.com", Secrets: [][]byte{[]byte("new"), []byte("tops3cr3t")}}
	if got, err := rotated.Reverse(a, vectorTime); err != nil || got != "test@otherdomain.com" {
		t.Fatalf("Reverse after rotation = %q, %v", got, err)
	}
	if b, _ := rotated.Forward("test@otherdomain.com", vectorTime); b == a {
		t.Error("rotated rewriter still signs with the old secret")
	}
}

func TestForwardLeavesLocalAndNullSenders(t *testing.T) {
	r := vectorRewriter()
	for _, s := range []string{"", "me@EXAMPLE.com"} {
		if got, err := r.Forward(s, vectorTime); err != nil || got != s {
			t.Errorf("Forward(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := r.Forward("no-domain", vectorTime); err != ErrBadSender {
		t.Errorf("Forward(no-domain) err = %v", err)
	}
}
