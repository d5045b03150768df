package hdr

import (
	"reflect"
	"strings"
	"testing"
)

// RFC 6376 §3.4.6's example.
func TestCanonicalizationExample(t *testing.T) {
	msg := []byte("A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n")
	fields, body, err := Split(msg)
	if err != nil {
		t.Fatal(err)
	}
	var relaxed, simple strings.Builder
	for _, f := range fields {
		relaxed.WriteString(CanonHeader(f, Relaxed))
		simple.WriteString(CanonHeader(f, Simple))
	}
	if got, want := relaxed.String(), "a:X\r\nb:Y Z\r\n"; got != want {
		t.Errorf("relaxed header %q, want %q", got, want)
	}
	if got, want := simple.String(), "A: X\r\nB : Y\t\r\n\tZ  \r\n"; got != want {
		t.Errorf("simple header %q, want %q", got, want)
	}
	if got, want := string(CanonBody(body, Relaxed)), " C\r\nD E\r\n"; got != want {
		t.Errorf("relaxed body %q, want %q", got, want)
	}
	if got, want := string(CanonBody(body, Simple)), " C \r\nD \t E\r\n"; got != want {
		t.Errorf("simple body %q, want %q", got, want)
	}
	// Empty bodies: simple is one CRLF, relaxed nothing (RFC 6376 §3.4.3-4).
	if got := string(CanonBody(nil, Simple)); got != "\r\n" {
		t.Errorf("simple empty body %q", got)
	}
	if got := string(CanonBody([]byte("\r\n\r\n"), Relaxed)); got != "" {
		t.Errorf("relaxed empty body %q", got)
	}
}

func TestSelectBottomUp(t *testing.T) {
	fields, _, err := Split([]byte("Received: 1\r\nFrom: a\r\nReceived: 2\r\nTo: b\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := Select(fields, []string{"received", "to", "received", "received", "cc"})
	want := []Field{"Received: 2\r\n", "To: b\r\n", "Received: 1\r\n"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Select = %q, want %q", got, want)
	}
}

func TestClearTagKeepsTheRest(t *testing.T) {
	f := Field("DKIM-Signature: v=1; bh=abc=; b=xy\r\n\tz; d=ex\r\n")
	if got, want := ClearTag(f, "b"), Field("DKIM-Signature: v=1; bh=abc=; b=; d=ex\r\n"); got != want {
		t.Errorf("ClearTag = %q, want %q", got, want)
	}
	last := Field("ARC-Seal: i=1; b=\r\n\tAAAA==\r\n")
	if got, want := ClearTag(last, "b"), Field("ARC-Seal: i=1; b=\r\n"); got != want {
		t.Errorf("ClearTag (last tag) = %q, want %q", got, want)
	}
}

func TestSplitRefusesBareLineEnds(t *testing.T) {
	for _, m := range []string{"From: a\nTo: b\r\n\r\n", "From: a\rb\r\n\r\n", " cont\r\n\r\n", "no colon\r\n\r\n", "From: a"} {
		if _, _, err := Split([]byte(m)); err == nil {
			t.Errorf("Split(%q) accepted", m)
		}
	}
}
