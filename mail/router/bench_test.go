package router_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/edgelab/edgelab/mail/router"
	"github.com/edgelab/edgelab/mail/spool"
)

// fsyncBackend is go-smtp's server storing each message in its own file,
// fsynced before the 250: the ordinary way to be durable per message.
type fsyncBackend struct {
	dir string
	n   atomic.Int64
}

func (b *fsyncBackend) NewSession(*gosmtp.Conn) (gosmtp.Session, error) {
	return &fsyncSession{b: b}, nil
}

type fsyncSession struct{ b *fsyncBackend }

func (s *fsyncSession) Reset()                                 {}
func (s *fsyncSession) Logout() error                          { return nil }
func (s *fsyncSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (s *fsyncSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (s *fsyncSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(s.b.dir, fmt.Sprintf("m%d", s.b.n.Add(1))))
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Sync()
}

// blast sends n messages over sessions concurrent go-smtp client
// connections to addr and returns messages per second.
func blast(b *testing.B, addr string, n, sessions int, body []byte) float64 {
	start := time.Now()
	var wg sync.WaitGroup
	for w := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := gosmtp.Dial(addr)
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			if err := c.Hello("client.sender.example"); err != nil {
				b.Error(err)
				return
			}
			for i := w; i < n; i += sessions {
				if err := c.SendMail("s@sender.example", []string{"alice@ours.example"}, bytesReader(body)); err != nil {
					b.Error(err)
					return
				}
			}
			c.Quit()
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

func bytesReader(b []byte) io.Reader { return &reader{b: b} }

type reader struct{ b []byte }

func (r *reader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// BenchmarkDurableAcceptSMTP measures durable accepts end to end over
// loopback (go-smtp clients, 32 concurrent sessions, 4 KiB messages, fsync
// on): our server and router spooling with group commit, the same with
// one fsync per message, and go-smtp's server writing each message to a
// file with fsync. Ratios are reported against both baselines (targets:
// group/naive ≥ 3, group/gosmtp > 1).
func BenchmarkDurableAcceptSMTP(b *testing.B) {
	const sessions = 32
	n := max(b.N, 64)
	body := make([]byte, 0, 4200)
	body = append(body, msgText...)
	for len(body) < 4096 {
		body = append(body, "filler filler filler filler filler filler filler filler filler\r\n"...)
	}
	rate := func(opt spool.Options) float64 {
		w := newWorldSpool(b, router.Store, nil, opt)
		return blast(b, w.addr, n, sessions, body)
	}
	group := rate(spool.Options{})
	naive := rate(spool.Options{SyncEach: true})

	be := &fsyncBackend{dir: b.TempDir()}
	srv := gosmtp.NewServer(be)
	srv.Domain = "gosmtp.test"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	gs := blast(b, l.Addr().String(), n, sessions, body)

	b.ReportMetric(group, "group-msgs/s")
	b.ReportMetric(naive, "naive-msgs/s")
	b.ReportMetric(gs, "gosmtp-fsync-msgs/s")
	b.ReportMetric(group/naive, "group/naive")
	b.ReportMetric(group/gs, "group/gosmtp")
}
