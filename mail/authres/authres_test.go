package authres

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	h := Header{
		ServID: "mx.edgelab.example",
		Results: []Result{
			{Method: "spf", Value: "pass", Props: []Prop{{"smtp", "mailfrom", "jqd@d1.example"}}},
			{Method: "dkim", Value: "fail", Reason: "signature did not verify", Props: []Prop{{"header", "d", "d1.example"}, {"header", "s", "sel"}}},
			{Method: "dmarc", Value: "pass", Props: []Prop{{"header", "from", "d1.example"}}},
			{Method: "arc", Value: "none"},
		},
	}
	s := h.String()
	got, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	if d := cmp.Diff(h, got); d != "" {
		t.Fatalf("round trip (-want +got):\n%s\n%s", d, s)
	}
}

func TestParseRFCExamples(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Header
	}{
		{"example.com; none", Header{ServID: "example.com"}},
		{" example.com 1; spf=pass smtp.mailfrom=example.net", Header{ServID: "example.com", Version: 1,
			Results: []Result{{Method: "spf", Value: "pass", Props: []Prop{{"smtp", "mailfrom", "example.net"}}}}}},
		{"example.com;\r\n\tauth=pass (cram-md5) smtp.auth=sender@example.net;\r\n\tspf=pass smtp.mailfrom=example.net",
			Header{ServID: "example.com", Results: []Result{
				{Method: "auth", Value: "pass", Props: []Prop{{"smtp", "auth", "sender@example.net"}}},
				{Method: "spf", Value: "pass", Props: []Prop{{"smtp", "mailfrom", "example.net"}}}}}},
		{`mail-router.example.net; dkim=pass (good signature) header.d=newyork.example.com header.b=oINEO8hg; dkim/1=fail reason="bad sig" header.i=@newyork.example.com`,
			Header{ServID: "mail-router.example.net", Results: []Result{
				{Method: "dkim", Value: "pass", Props: []Prop{{"header", "d", "newyork.example.com"}, {"header", "b", "oINEO8hg"}}},
				{Method: "dkim", MethodVersion: 1, Value: "fail", Reason: "bad sig", Props: []Prop{{"header", "i", "@newyork.example.com"}}}}}},
	} {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", c.in, d)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", ";", "ex.com; spf", "ex.com; spf=", "ex.com; spf=pass smtp", "ex.com; spf=pass smtp.mailfrom=", `ex.com; dkim=fail reason="open`, "ex.com spf=pass"} {
		if _, err := Parse(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) err = %v, want ErrSyntax", in, err)
		}
	}
}
