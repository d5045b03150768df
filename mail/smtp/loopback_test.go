package smtp

import (
	"context"
	"crypto/tls"
	"sync"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// syncBackend is recordingBackend safe for a real server's tasks.
type syncBackend struct {
	mu sync.Mutex
	recordingBackend
	info *SessionInfo
}

func (b *syncBackend) Rcpt(ctx context.Context, s *SessionInfo, e *Envelope, to Recipient) Reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.recordingBackend.Rcpt(ctx, s, e, to)
}

func (b *syncBackend) Data(ctx context.Context, s *SessionInfo, m *Message) Reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.recordingBackend.Data(ctx, s, m)
}

func (b *syncBackend) Mail(ctx context.Context, s *SessionInfo, from Path, p MailParams) Reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.info = s
	return Reply{}
}

func (b *syncBackend) lastInfo() *SessionInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.info
}

func (b *syncBackend) messages() []*Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*Message(nil), b.msgs...)
}

// startServer runs our server on a loopback port until the test ends.
func startServer(t testing.TB, srv *Server) string {
	t.Helper()
	if srv.Env == nil {
		srv.Env = env.Real("mx")
	}
	l, err := srv.Env.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(l); close(done) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return l.Addr().String()
}

func mustPath(t testing.TB, s string) Path {
	t.Helper()
	p, _, err := parsePath("<"+s+">", true, true, EnhancedCode{5, 1, 3})
	if err != nil {
		t.Fatalf("path %q: %v", s, err)
	}
	return p
}

func envelope(t testing.TB, from string, to ...string) *Envelope {
	e := &Envelope{From: mustPath(t, from)}
	for _, r := range to {
		e.Rcpts = append(e.Rcpts, Recipient{Path: mustPath(t, r)})
	}
	return e
}

func TestOurClientToOurServer(t *testing.T) {
	for _, chunking := range []bool{true, false} {
		b := &syncBackend{}
		addr := startServer(t, &Server{Backend: b})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cc, err := Dial(ctx, env.Real("client"), addr, ClientConfig{Hostname: "client.test", NoChunking: !chunking}, nil)
		if err != nil {
			t.Fatal(err)
		}
		body := []byte("Subject: caf\xc3\xa9\r\n\r\n.dot line\r\n..two\r\n\xff\xfe 8-bit\r\nlast line no newline")
		res, err := cc.Send(ctx, envelope(t, "s@example.org", "a@example.com", "reject@example.com", "b@example.com"), body)
		if err != nil {
			t.Fatal(err)
		}
		if res.Err != nil || res.Accepted() != 2 || res.Rcpts[1].Err == nil {
			t.Fatalf("chunking=%v: result %+v", chunking, res)
		}
		if err := cc.Quit(ctx); err != nil {
			t.Fatal(err)
		}
		msgs := b.messages()
		if len(msgs) != 1 {
			t.Fatalf("%d messages", len(msgs))
		}
		want := string(body)
		if chunking == false {
			want += "\r\n" // DATA needs the last line ended
		}
		if got := string(msgs[0].Data); got != want {
			t.Fatalf("chunking=%v: server got %q want %q", chunking, got, want)
		}
		if msgs[0].Chunked != chunking || !msgs[0].EightBit || msgs[0].Mail.Body != Body8BitMIME {
			t.Fatalf("message flags %+v", msgs[0])
		}
	}
}

// Our client upgrades with STARTTLS when our server offers it, the session
// starts over inside TLS, and RequireTLS refuses a server without it.
func TestOurClientStartTLS(t *testing.T) {
	b := &syncBackend{}
	addr := startServer(t, &Server{Backend: b, TLS: selfSignedTLS(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cc, err := Dial(ctx, env.Real("client"), addr, ClientConfig{StartTLS: true, RequireTLS: true}, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if !cc.Session().TLS() || cc.Session().Has("STARTTLS") {
		t.Fatalf("TLS %v, extensions after TLS %v", cc.Session().TLS(), cc.Session().Extensions())
	}
	res, err := cc.Send(ctx, envelope(t, "a@b.c", "d@e.f"), []byte("Subject: tls\r\n\r\nx\r\n"))
	if err != nil || res.Err != nil {
		t.Fatalf("%v %+v", err, res)
	}
	cc.Quit(ctx)
	if info := b.lastInfo(); info.TLS == nil || info.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("server's session info has TLS %v", info.TLS)
	}
	plain := startServer(t, &Server{Backend: b})
	_, err = Dial(ctx, env.Real("client"), plain, ClientConfig{StartTLS: true, RequireTLS: true}, &tls.Config{InsecureSkipVerify: true})
	if ee, ok := err.(*ExtensionError); !ok || ee.Extension != "STARTTLS" {
		t.Fatalf("RequireTLS against a server without STARTTLS: %v", err)
	}
}
