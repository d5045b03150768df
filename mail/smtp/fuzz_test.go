package smtp

import (
	"bytes"
	"testing"
)

// Command lines: never a panic; a refusal is a CommandError with a 5xx; an
// accepted MAIL or RCPT path survives the client's rendering of it.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"MAIL FROM:<a@example.org> SIZE=10 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x+2By",
		"RCPT TO:<@relay.example,@b.example:user@c.example> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+2Bb@x",
		`RCPT TO:<"quoted@local"@example.com>`, "RCPT TO:<Postmaster>", "MAIL FROM:<>",
		"RCPT TO:<user%other@example.com>", "RCPT TO:<a@[192.0.2.1]>", "RCPT TO:<a@[IPv6:2001:db8::1]>",
		"MAIL FROM:<jürgen@exämple.org> SMTPUTF8", `RCPT TO:<a@b.c> ORCPT=utf-8;zo\x{EB}@x`, "EHLO x", "BDAT 10 LAST", "mail from: <a@b>",
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, line []byte, esmtp bool) {
		cmd, err := ParseCommand(line, esmtp)
		if err != nil {
			ce, ok := err.(*CommandError)
			if !ok || !ce.Reply.Permanent() {
				t.Fatalf("refusal %v is not a 5xx CommandError", err)
			}
			return
		}
		var paths []Path
		switch cmd.Verb {
		case "MAIL":
			p, _, err := ParseMail(cmd.Arg, esmtp)
			if err != nil {
				checkRefusal(t, err)
				return
			}
			paths = append(paths, p)
		case "RCPT":
			r, err := ParseRcpt(cmd.Arg, esmtp)
			if err != nil {
				checkRefusal(t, err)
				return
			}
			paths = append(paths, r.Path)
		}
		for _, p := range paths {
			again, rest, err := parsePath(p.wire(), true, true, EnhancedCode{5, 1, 3})
			if err != nil || rest != "" || again.Local != p.Local || again.Domain != p.Domain {
				t.Fatalf("path %+v renders as %q which parses as %+v, %q, %v", p, p.wire(), again, rest, err)
			}
		}
	})
}

func checkRefusal(t *testing.T, err error) {
	t.Helper()
	ce, ok := err.(*CommandError)
	if !ok || !ce.Reply.Permanent() || ce.Reply.Enhanced[0] != 5 {
		t.Fatalf("refusal %v is not a 5xx CommandError with a 5.x.x code", err)
	}
}

// The content scanner gives the same result however its input is cut, and
// a body that SMTP can carry comes back exactly from Stuff.
func FuzzContentScanner(f *testing.F) {
	for _, end := range smuggleEnds {
		f.Add([]byte("a\r\n.b"+end+"MAIL FROM:<x@y>\r\n\r\n.\r\n"), uint16(3), true)
	}
	f.Add([]byte("..\r\n.\r\n"), uint16(1), true)
	f.Add([]byte("x\r\r\n"), uint16(2), false)
	f.Fuzz(func(t *testing.T, in []byte, cut uint16, stuffed bool) {
		k := int(cut) % (len(in) + 1)
		var whole, split ContentScanner
		whole.Reset(stuffed, 1<<20)
		split.Reset(stuffed, 1<<20)
		n1, done1 := whole.Feed(in)
		n2, done2 := split.Feed(in[:k])
		if !done2 {
			m, d := split.Feed(in[k:])
			n2, done2 = k+m, d
		}
		if n1 != n2 || done1 != done2 || !bytes.Equal(whole.Body(), split.Body()) ||
			whole.BareCR != split.BareCR || whole.BareLF != split.BareLF || whole.NUL != split.NUL || whole.LongLine != split.LongLine {
			t.Fatalf("cut at %d changes the result: %d %v %q vs %d %v %q", k, n1, done1, whole.Body(), n2, done2, split.Body())
		}
		if CheckContent(in) == nil {
			var s ContentScanner
			s.Reset(true, 1<<20)
			stuffedIn := Stuff(nil, in)
			n, done := s.Feed(stuffedIn)
			want := in
			if len(in) > 0 && !bytes.HasSuffix(in, crlf) {
				want = append(append([]byte(nil), in...), crlf...)
			}
			if !done || n != len(stuffedIn) || !bytes.Equal(s.Body(), want) || !s.Fault().IsZero() && !s.LongLine {
				t.Fatalf("Stuff(%q) = %q reads back as %q (done %v, %d of %d)", in, stuffedIn, s.Body(), done, n, len(stuffedIn))
			}
		}
	})
}

// Replies: never a panic; what parses renders and parses back the same.
func FuzzReplyParser(f *testing.F) {
	for _, s := range []string{
		"250-mx greets you\r\n250-PIPELINING\r\n250 SIZE 100\r\n", "550 5.1.1 no such user\r\n",
		"421 4.4.2 timeout\r\n", "250-2.0.0 a\r\n250 2.0.0 b\r\n", "220 ok\n", "250-a\r\n251 b\r\n", "999 x\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var p ReplyParser
		p.Feed(in)
		for range 200 {
			r, ok, err := p.Next()
			if err != nil {
				if _, isProto := err.(*ProtocolError); !isProto {
					t.Fatalf("error %T %v", err, err)
				}
				return
			}
			if !ok {
				return
			}
			var q ReplyParser
			q.Feed(r.AppendTo(nil))
			again, ok, err := q.Next()
			if err != nil || !ok || again.Code != r.Code || again.Enhanced != r.Enhanced || len(again.Lines) != len(r.Lines) {
				t.Fatalf("reply %+v renders as %q, parses as %+v %v %v", r, r.AppendTo(nil), again, ok, err)
			}
		}
	})
}

// Whole sessions: any input, cut anywhere, gives the same replies and the
// same messages; every reply parses; no message is handed over without a
// 250 for it, and every 2xx end of data is one message.
func FuzzServerSession(f *testing.F) {
	for _, end := range smuggleEnds[:4] {
		f.Add(smuggleInput(end, true, false), uint16(50))
		f.Add(smuggleInput(end, false, true), uint16(90))
	}
	f.Add([]byte("EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 3\r\nabcBDAT 0 LAST\r\nQUIT\r\n"), uint16(40))
	f.Add([]byte("HELO x\r\nMAIL FROM:<a@b.c> SIZE=1\r\nRSET\r\nVRFY x\r\nEXPN y\r\nHELP\r\nNOOP\r\n"), uint16(7))
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		cfg := ServerConfig{MaxMessageSize: 4096, MaxRecipients: 3, MaxCommands: 50}
		k := int(cut) % (len(in) + 1)
		b1, b2 := &recordingBackend{}, &recordingBackend{}
		out1 := runSession(t, cfg, b1, in)
		out2 := runSession(t, cfg, b2, in, k)
		if out1 != out2 || len(b1.msgs) != len(b2.msgs) {
			t.Fatalf("cut at %d changes the session:\n%q\n%q", k, out1, out2)
		}
		for i := range b1.msgs {
			if !bytes.Equal(b1.msgs[i].Data, b2.msgs[i].Data) {
				t.Fatalf("message %d differs when cut at %d", i, k)
			}
		}
		queued := bytes.Count([]byte(out1), []byte("250 2.6.0 queued as"))
		if queued != len(b1.msgs) {
			t.Fatalf("%d messages taken, %d acknowledged", len(b1.msgs), queued)
		}
		replyCodes(t, out1)
	})
}
