package addr

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParsePathGood(t *testing.T) {
	utf := Options{SMTPUTF8: true}
	cases := []struct {
		in    string
		opt   Options
		local string
		ascii string
		uni   string
	}{
		{"<User@Example.COM>", Options{}, "User", "example.com", "example.com"},
		{"<@relay.example,@b.example:u@d.example>", Options{}, "u", "d.example", "d.example"},
		{`<"john doe"@example.com>`, Options{}, "john doe", "example.com", "example.com"},
		{`<"plain"@example.com>`, Options{}, "plain", "example.com", "example.com"},
		{`<"a\"b"@example.com>`, Options{}, `a"b`, "example.com", "example.com"},
		{"<u@bücher.example>", utf, "u", "xn--bcher-kva.example", "bücher.example"},
		{"<u@xn--bcher-kva.example>", Options{}, "u", "xn--bcher-kva.example", "bücher.example"},
		{"<u@BÜCHER.example>", utf, "u", "xn--bcher-kva.example", "bücher.example"},
		// NFD "é" (e + U+0301) is stored as NFC U+00E9.
		{"<re\u0301sume\u0301@example.com>", utf, "r\u00e9sum\u00e9", "example.com", "example.com"},
		{"<u@[192.0.2.1]>", Options{}, "u", "[192.0.2.1]", "[192.0.2.1]"},
		{"<u@[IPv6:2001:db8::1]>", Options{}, "u", "[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]"},
	}
	for _, c := range cases {
		p, err := ParsePath(c.in, c.opt)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", c.in, err)
			continue
		}
		if p.Mailbox.Local != c.local || p.Mailbox.Domain.ASCII != c.ascii || p.Mailbox.Domain.Unicode != c.uni {
			t.Errorf("ParsePath(%q) = %q @ %q (%q), want %q @ %q (%q)", c.in, p.Mailbox.Local,
				p.Mailbox.Domain.ASCII, p.Mailbox.Domain.Unicode, c.local, c.ascii, c.uni)
		}
	}
	p, err := ParsePath("<>", Options{})
	if err != nil || !p.Null || p.String() != "<>" {
		t.Errorf("null path: %+v %v", p, err)
	}
	p, _ = ParsePath("<@a.example,@b.example:u@d.example>", Options{})
	if len(p.SourceRoute) != 2 || p.SourceRoute[1].ASCII != "b.example" {
		t.Errorf("source route not kept: %+v", p.SourceRoute)
	}
}

func TestParsePathBad(t *testing.T) {
	cases := []struct {
		in   string
		opt  Options
		kind Kind
	}{
		{"u@example.com", Options{}, KindSyntax},
		{"<u>", Options{}, KindSyntax},
		{"<u@>", Options{}, KindSyntax},
		{"<@example.com>", Options{}, KindSyntax},
		{"<a@b@example.com>", Options{}, KindBadDomain},
		{`<"a@b.example">`, Options{}, KindSyntax},
		{`<"unterminated@example.com>`, Options{}, KindSyntax},
		{"<.u@example.com>", Options{}, KindSyntax},
		{"<u..v@example.com>", Options{}, KindSyntax},
		{"<u v@example.com>", Options{}, KindSyntax},
		{"<u@example.com.>", Options{}, KindBadDomain},
		{"<u@.example.com>", Options{}, KindBadDomain},
		{"<u@exa_mple.com>", Options{}, KindBadDomain},
		{"<u@-example.com>", Options{}, KindBadDomain},
		{"<u@xn--zz.example>", Options{}, KindBadDomain},
		{"<u@bücher.example>", Options{}, KindNeedsSMTPUTF8},
		{"<jörg@example.com>", Options{}, KindNeedsSMTPUTF8},
		{"<u@[300.1.1.1]>", Options{}, KindBadDomain},
		{"<u@[2001:db8::1]>", Options{}, KindBadDomain},
		{"<u@[IPv6:192.0.2.1]>", Options{}, KindBadDomain},
		{"<" + strings.Repeat("a", 65) + "@example.com>", Options{}, KindTooLong},
		{"<u@" + strings.Repeat("a.", 130) + "com>", Options{}, KindTooLong},
		{"<@a.example u@d.example>", Options{}, KindSyntax},
		{"<u@exa\x00mple.com>", Options{}, KindBadDomain},
		{"<\xff@example.com>", Options{SMTPUTF8: true}, KindSyntax},
	}
	for _, c := range cases {
		_, err := ParsePath(c.in, c.opt)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("ParsePath(%q) = %v, want *Error of kind %v", c.in, err, c.kind)
			continue
		}
		if e.Kind != c.kind {
			t.Errorf("ParsePath(%q): kind %v (%v), want %v", c.in, e.Kind, err, c.kind)
		}
		if !errors.Is(err, &Error{Kind: c.kind}) {
			t.Errorf("errors.Is by kind failed for %q", c.in)
		}
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, local := range []string{"plain", "john doe", `a"b\c`, "a@b", "user+tag"} {
		m := Mailbox{Local: local, Domain: Domain{ASCII: "example.com", Unicode: "example.com"}}
		got, err := ParseMailbox(m.String(), Options{})
		if err != nil || got.Local != local {
			t.Errorf("round trip of %q via %q: %q, %v", local, m.String(), got.Local, err)
		}
	}
}

// FuzzParsePath checks that any input either fails with *Error or yields
// a path whose rendering parses back to the same mailbox.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"<u@example.com>", "<>", `<"a b"@x.example>`, "<@a,@b:u@d>",
		"<u@bücher.example>", "<u@[IPv6:::1]>", "<u%v@x.example>", "<u@xn--bcher-kva.example>"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, utf bool) {
		opt := Options{SMTPUTF8: utf}
		p, err := ParsePath(s, opt)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if p.Null {
			return
		}
		if !utf && !isASCII(s) {
			t.Fatalf("non-ASCII accepted without SMTPUTF8: %+v", p)
		}
		if !utf8.ValidString(p.Mailbox.Local) {
			t.Fatalf("invalid UTF-8 local part %q", p.Mailbox.Local)
		}
		again, err := ParsePath(p.String(), Options{SMTPUTF8: true})
		if err != nil {
			t.Fatalf("rendering %q of %q does not parse: %v", p.String(), s, err)
		}
		if again.Mailbox != p.Mailbox {
			t.Fatalf("round trip changed %+v to %+v", p.Mailbox, again.Mailbox)
		}
	})
}
