package smtp

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// recordingBackend accepts everything except recipients whose local part
// starts with "reject", and keeps every message it is given.
type recordingBackend struct {
	msgs []*Message
}

func (b *recordingBackend) Mail(ctx context.Context, s *SessionInfo, from Path, p MailParams) Reply {
	return Reply{}
}

func (b *recordingBackend) Rcpt(ctx context.Context, s *SessionInfo, env *Envelope, to Recipient) Reply {
	if strings.HasPrefix(to.Path.Local, "reject") {
		return reply(550, EnhancedCode{5, 1, 1}, "no such user")
	}
	return Reply{}
}

func (b *recordingBackend) Data(ctx context.Context, s *SessionInfo, m *Message) Reply {
	b.msgs = append(b.msgs, m)
	return reply(250, EnhancedCode{2, 6, 0}, fmt.Sprintf("queued as m%d", len(b.msgs)))
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// runSession feeds the input to a fresh session in pieces of the given
// sizes (the rest in one piece), answering requests from b, and returns
// everything the server wrote.
func runSession(t testing.TB, cfg ServerConfig, b Backend, input []byte, pieces ...int) string {
	t.Helper()
	info := &SessionInfo{ID: "test"}
	s := NewServerSession(cfg, info, t0)
	var out strings.Builder
	drain := func() {
		for {
			rd := s.Ready()
			out.Write(rd.Out)
			if rd.Request == nil {
				return
			}
			s.Answer(t0, rd.Request.Call(context.Background(), b, info))
		}
	}
	drain()
	for _, n := range pieces {
		if n > len(input) {
			n = len(input)
		}
		s.Receive(t0, input[:n])
		input = input[n:]
		drain()
	}
	if len(input) > 0 {
		s.Receive(t0, input)
		drain()
	}
	return out.String()
}

// replyCodes lists the code (and enhanced code) of each reply in out,
// multi-line replies once.
func replyCodes(t testing.TB, out string) []string {
	t.Helper()
	var p ReplyParser
	p.Feed([]byte(out))
	var codes []string
	for {
		r, ok, err := p.Next()
		if err != nil {
			t.Fatalf("server output does not parse: %v\n%s", err, out)
		}
		if !ok {
			return codes
		}
		c := fmt.Sprint(r.Code)
		if !r.Enhanced.IsZero() {
			c += " " + r.Enhanced.String()
		}
		codes = append(codes, c)
	}
}

func TestServerBasicTransaction(t *testing.T) {
	b := &recordingBackend{}
	in := "EHLO client.example\r\n" +
		"MAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME\r\n" +
		"RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bx@example.com\r\n" +
		"RCPT TO:<reject@example.com>\r\n" +
		"DATA\r\n" +
		"Subject: hi\r\n\r\n..leading dot\r\nbody\r\n.\r\n" +
		"QUIT\r\n"
	out := runSession(t, ServerConfig{Hostname: "mx.test"}, b, []byte(in))
	got := strings.Join(replyCodes(t, out), "|")
	want := "220|250|250 2.1.0|250 2.1.5|550 5.1.1|354|250 2.6.0|221 2.0.0"
	if got != want {
		t.Fatalf("replies %s, want %s\n%s", got, want, out)
	}
	if len(b.msgs) != 1 {
		t.Fatalf("%d messages", len(b.msgs))
	}
	m := b.msgs[0]
	if string(m.Data) != "Subject: hi\r\n\r\n.leading dot\r\nbody\r\n" {
		t.Fatalf("data %q", m.Data)
	}
	if len(m.Rcpts) != 1 || m.Rcpts[0].Path.String() != "b@example.com" ||
		m.Rcpts[0].Params.Notify != NotifySuccess|NotifyFailure ||
		m.Rcpts[0].Params.ORCPT.Addr != "b+x@example.com" || m.Mail.Body != Body8BitMIME || m.Mail.Size != 100 {
		t.Fatalf("envelope %+v", m.Envelope)
	}
}

func TestORCPTForms(t *testing.T) {
	b := &recordingBackend{}
	in := "EHLO c\r\nMAIL FROM:<a@b.c> SMTPUTF8\r\n" +
		"RCPT TO:<zoë@example.com> ORCPT=utf-8;zo\\x{EB}+x@example.com\r\n" +
		"RCPT TO:<y@example.com> ORCPT=UTF-8;zoë\\x{20}x@example.com\r\n" +
		"RCPT TO:<z@example.com> ORCPT=rfc822;z+2Bz@example.com\r\n" +
		"RCPT TO:<w@example.com> ORCPT=utf-8;bad\\x{D800}\r\n" +
		"DATA\r\nx\r\n.\r\n"
	out := runSession(t, ServerConfig{}, b, []byte(in))
	if got := strings.Join(replyCodes(t, out), "|"); got != "220|250|250 2.1.0|501 5.5.4|250 2.1.5|250 2.1.5|501 5.5.4|354|250 2.6.0" {
		t.Fatalf("replies %s", got)
	}
	rc := b.msgs[0].Rcpts
	if rc[0].Params.ORCPT.Addr != "zoë x@example.com" || rc[1].Params.ORCPT.Addr != "z+z@example.com" {
		t.Fatalf("%+v %+v", rc[0].Params.ORCPT, rc[1].Params.ORCPT)
	}
	for _, s := range []string{"zoë@example.com", "a+b=c\\d e@x", "你好@例子.测试"} {
		for _, uni := range []bool{false, true} {
			enc := EncodeUTF8AddrText(s, uni)
			if got, err := DecodeUTF8AddrText(enc); err != nil || got != s || !uni && !isASCII(enc) {
				t.Fatalf("%q → %q → %q %v", s, enc, got, err)
			}
		}
	}
}
