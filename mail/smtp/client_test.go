package smtp

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/edgelab/edgelab/sim/env"
)

// pickyBackend refuses senders and recipients by their local part, and
// messages whose data contains "refuse-me".
type pickyBackend struct{ recordingBackend }

func (b *pickyBackend) Mail(ctx context.Context, s *SessionInfo, from Path, p MailParams) Reply {
	if from.Local == "badsender" {
		return reply(550, EnhancedCode{5, 7, 1}, "sender refused")
	}
	return Reply{}
}

func (b *pickyBackend) Data(ctx context.Context, s *SessionInfo, m *Message) Reply {
	if strings.Contains(string(m.Data), "refuse-me") {
		return reply(554, EnhancedCode{5, 7, 0}, "content refused")
	}
	return b.recordingBackend.Data(ctx, s, m)
}

// pair runs a client session against a server session in memory, with
// the named EHLO keywords hidden from the client.
type pair struct {
	t      *testing.T
	c      *ClientSession
	s      *ServerSession
	b      Backend
	info   *SessionInfo
	hidden []string
}

func newPair(t *testing.T, b Backend, hidden ...string) *pair {
	p := &pair{t: t, b: b, info: &SessionInfo{}, hidden: hidden}
	p.c = NewClientSession(ClientConfig{}, t0)
	p.s = NewServerSession(ServerConfig{}, p.info, t0)
	p.pump()
	if !p.c.Ready().Idle {
		t.Fatal("client not idle after EHLO")
	}
	return p
}

// pump moves octets both ways until neither side has anything to say and
// returns the transaction result that came out, if any.
func (p *pair) pump() *Result {
	var res *Result
	for range 1000 {
		sr := p.s.Ready()
		if sr.Request != nil {
			p.s.Answer(t0, sr.Request.Call(context.Background(), p.b, p.info))
		}
		out := string(sr.Out)
		for _, h := range p.hidden {
			out = strings.ReplaceAll(out, "250-"+h+"\r\n", "")
		}
		if out != "" {
			p.c.Receive(t0, []byte(out))
		}
		cr := p.c.Ready()
		if cr.Result != nil {
			res = cr.Result
		}
		if cr.Err != nil {
			p.t.Fatalf("client session failed: %v", cr.Err)
		}
		if len(cr.Out) > 0 {
			p.s.Receive(t0, cr.Out)
		} else if sr.Request == nil && out == "" {
			return res
		}
	}
	p.t.Fatal("sessions never settle")
	return nil
}

func (p *pair) send(e *Envelope, data string) *Result {
	if err := p.c.Send(t0, e, []byte(data)); err != nil {
		p.t.Fatalf("Send: %v", err)
	}
	res := p.pump()
	if res == nil {
		p.t.Fatal("no result")
	}
	if !p.c.Ready().Idle {
		p.t.Fatal("client not idle after a transaction")
	}
	return res
}

func replyErrCode(err error) (string, int) {
	re, ok := err.(*ReplyError)
	if !ok {
		return "", 0
	}
	return re.Command, re.Code()
}

// Every way a transaction can fail, with and without pipelining and
// chunking, reports the right command and code per recipient and leaves
// the session ready for the next message, which then arrives.
func TestClientFailuresPerRecipient(t *testing.T) {
	modes := map[string][]string{
		"pipelined bdat": nil,
		"pipelined data": {"CHUNKING"},
		"lockstep bdat":  {"PIPELINING"},
		"lockstep data":  {"PIPELINING", "CHUNKING"},
	}
	for mode, hidden := range modes {
		b := &pickyBackend{}
		p := newPair(t, b, hidden...)
		type want struct {
			cmd   string
			code  int
			rcpts []string // per recipient: "" accepted or "CMD code"
		}
		for _, tc := range []struct {
			name string
			env  *Envelope
			data string
			want want
		}{
			{"sender refused", envelope(t, "badsender@x.y", "a@b.c"), "x\r\n", want{"MAIL", 550, []string{"MAIL 550"}}},
			{"all recipients refused", envelope(t, "s@x.y", "reject1@b.c", "reject2@b.c"), "x\r\n", want{"RCPT", 550, []string{"RCPT 550", "RCPT 550"}}},
			{"data refused", envelope(t, "s@x.y", "a@b.c", "reject@b.c"), "refuse-me\r\n", want{dataCmd(hidden), 554, []string{dataCmd(hidden) + " 554", "RCPT 550"}}},
			{"partial success", envelope(t, "s@x.y", "reject@b.c", "a@b.c"), "fine\r\n", want{"", 0, []string{"RCPT 550", ""}}},
		} {
			res := p.send(tc.env, tc.data)
			cmd, code := replyErrCode(res.Err)
			if cmd != tc.want.cmd || code != tc.want.code {
				t.Errorf("%s / %s: error %v, want %s %d", mode, tc.name, res.Err, tc.want.cmd, tc.want.code)
			}
			for i, rr := range res.Rcpts {
				got := ""
				if rr.Err != nil {
					c, n := replyErrCode(rr.Err)
					got = c + " " + strconv.Itoa(n)
				}
				if got != tc.want.rcpts[i] {
					t.Errorf("%s / %s: recipient %d: %q, want %q", mode, tc.name, i, got, tc.want.rcpts[i])
				}
			}
		}
		if len(b.msgs) != 1 || string(b.msgs[0].Data) != "fine\r\n" || len(b.msgs[0].Rcpts) != 1 {
			t.Errorf("%s: server got %d messages", mode, len(b.msgs))
		}
		p.c.Quit(t0)
		p.pump()
		if !p.c.Ready().Close {
			t.Errorf("%s: QUIT did not close", mode)
		}
	}
}

func dataCmd(hidden []string) string {
	for _, h := range hidden {
		if h == "CHUNKING" {
			return "DATA"
		}
	}
	return "BDAT"
}

// A message in several BDAT chunks, with a chunk boundary inside CRLF,
// arrives whole.
func TestClientChunksAcrossCRLF(t *testing.T) {
	b := &pickyBackend{}
	p := newPair(t, b)
	p.c.cfg.ChunkSize = 7
	body := "Subject: chunks\r\n\r\nline one\r\nline two\r\n"
	res := p.send(envelope(t, "s@x.y", "a@b.c"), body)
	if res.Err != nil || len(b.msgs) != 1 || string(b.msgs[0].Data) != body || !b.msgs[0].Chunked {
		t.Fatalf("%v %+v", res.Err, b.msgs)
	}
}

// A greeting other than 220 and a server that speaks out of turn fail the
// session with typed errors.
func TestClientSessionErrors(t *testing.T) {
	c := NewClientSession(ClientConfig{}, t0)
	c.Receive(t0, []byte("554 5.7.1 go away\r\n"))
	rd := c.Ready()
	if cmd, code := replyErrCode(rd.Err); cmd != "greeting" || code != 554 || !rd.Close {
		t.Fatalf("%+v", rd)
	}
	c = NewClientSession(ClientConfig{}, t0)
	c.Receive(t0, []byte("220 hi\nx"))
	if _, ok := c.Ready().Err.(*ProtocolError); !ok {
		t.Fatal("bare LF reply accepted")
	}
	c = NewClientSession(ClientConfig{}, t0)
	c.Tick(t0.Add(6 * 60e9))
	if c.Ready().Err != ErrTimeout {
		t.Fatal("no timeout")
	}
	// EHLO refused: HELO, and no extensions.
	c = NewClientSession(ClientConfig{}, t0)
	c.Receive(t0, []byte("220 hi\r\n"))
	c.Ready()
	c.Receive(t0, []byte("500 5.5.1 what\r\n"))
	if out := string(c.Ready().Out); out != "HELO localhost\r\n" {
		t.Fatalf("after refused EHLO: %q", out)
	}
	c.Receive(t0, []byte("250 ok\r\n"))
	if rd := c.Ready(); !rd.Idle || len(c.Extensions()) != 0 {
		t.Fatalf("after HELO: %+v", rd)
	}
	if err := c.Send(t0, &Envelope{From: Path{Local: "a", Domain: "b.c"}, Rcpts: []Recipient{{Path: Path{Local: "d", Domain: "e.f"}}}}, []byte("8-bit \xff\r\n")); err == nil {
		t.Fatal("8-bit content sent to a server without 8BITMIME")
	}
}

// A server that says 421 in the middle of a transaction fails the session
// and the transaction, every recipient with it, with the server's reply.
func TestClient421MidTransaction(t *testing.T) {
	b := &syncBackend{}
	addr := startServer(t, &Server{Backend: b, Config: ServerConfig{MaxCommands: 3}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cc, err := Dial(ctx, env.Real("client"), addr, ClientConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	res, err := cc.Send(ctx, envelope(t, "a@b.c", "d@e.f", "g@h.i"), []byte("x\r\n"))
	re, ok := err.(*ReplyError)
	if !ok || re.Code() != 421 || re.Enhanced() != (EnhancedCode{4, 7, 0}) || !re.Temporary() || re.Command != "RCPT" {
		t.Fatalf("session error %v", err)
	}
	if res == nil || res.Err == nil || res.Accepted() != 0 {
		t.Fatalf("result %+v", res)
	}
	if len(b.messages()) != 0 {
		t.Fatal("message taken")
	}
}

// Any content SMTP can carry arrives byte for byte, through DATA or BDAT
// chunks of any size, pipelined or not, however it is dotted.
func TestPropertyContentArrivesExactly(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		lines := rapid.SliceOfN(rapid.SampledFrom([]string{"", ".", "..", ". x", ".\x80", "a.b", "\xc3\xa9t\xc3\xa9", "x", "From: a@b"}), 0, 30).Draw(rt, "lines")
		body := strings.Join(lines, "\r\n")
		if rapid.Bool().Draw(rt, "final CRLF") {
			body += "\r\n"
		}
		var hidden []string
		if rapid.Bool().Draw(rt, "no pipelining") {
			hidden = append(hidden, "PIPELINING")
		}
		if rapid.Bool().Draw(rt, "no chunking") {
			hidden = append(hidden, "CHUNKING")
		}
		b := &pickyBackend{}
		p := newPair(t, b, hidden...)
		p.c.cfg.ChunkSize = rapid.IntRange(1, 64).Draw(rt, "chunk")
		res := p.send(envelope(t, "s@x.y", "a@b.c"), body)
		want := body
		if dataCmd(hidden) == "DATA" && body != "" && !strings.HasSuffix(body, "\r\n") {
			want += "\r\n"
		}
		if res.Err != nil || len(b.msgs) != 1 {
			rt.Fatalf("sent %q: %v, %d messages", body, res.Err, len(b.msgs))
		}
		if got := string(b.msgs[0].Data); got != want {
			rt.Fatalf("sent %q, got %q", body, got)
		}
	})
}
