package sim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/link"
)

// httpPair is a client and a server node with handler h on port 80.
func httpPair(p link.Params, h http.HandlerFunc) (*Sim, *Node, *Node) {
	s := New(Config{Seed: 1})
	srv, cli := s.AddNode("server"), s.AddNode("client")
	if err := s.Net().SetDefault(p); err != nil {
		panic(err)
	}
	srv.HostHTTP(80, h)
	return s, srv, cli
}

// get performs one GET from cli with the given timeout inside a task.
func get(cli *Node, url string, timeout time.Duration, out func(status int, body string, err error)) {
	cli.Go("get", func() {
		env := cli.Env()
		ctx, cancel := env.WithTimeout(context.Background(), timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			out(0, "", err)
			return
		}
		resp, err := (&http.Client{Transport: env.Transport()}).Do(req)
		if err != nil {
			out(0, "", err)
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out(resp.StatusCode, string(b), err)
	})
}

func TestHTTPRoundTripAddsServerHeaders(t *testing.T) {
	var hdr http.Header
	s, srv, cli := httpPair(link.Params{Latency: link.Fixed(5 * ms)}, func(w http.ResponseWriter, r *http.Request) {
		if r.RemoteAddr != "10.0.0.2:49152" || r.Host != "server:8080" {
			t.Errorf("RemoteAddr %q Host %q", r.RemoteAddr, r.Host)
		}
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "<html>short and stout</html>")
	})
	srv.HostHTTP(8080, srv.ports[80].ep.(*httpServer).h)
	var status int
	var body string
	cli.Go("x", func() {
		env := cli.Env()
		req, _ := http.NewRequest("GET", "http://server:8080/", nil)
		resp, err := env.Transport().RoundTrip(req)
		if err != nil {
			t.Error(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		status, body, hdr = resp.StatusCode, string(b), resp.Header
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if status != 418 || body != "<html>short and stout</html>" {
		t.Fatalf("status %d body %q", status, body)
	}
	if hdr.Get("Content-Type") != "text/html; charset=utf-8" || hdr.Get("Date") != "Thu, 01 Jan 2026 00:00:00 GMT" {
		t.Fatalf("headers %v", hdr)
	}
}

func TestHTTPLossMakesTheDeadlineFire(t *testing.T) {
	s, _, cli := httpPair(link.Params{Latency: link.Fixed(ms), Loss: 1}, func(w http.ResponseWriter, r *http.Request) {
		t.Error("handler ran")
	})
	var err error
	var at time.Duration
	get(cli, "http://server/", 300*ms, func(_ int, _ string, e error) { err, at = e, s.Now() })
	if _, e := s.Run(); e != nil {
		t.Fatal(e)
	}
	if !errors.Is(err, context.DeadlineExceeded) || at != 300*ms {
		t.Fatalf("err=%v at=%v", err, at)
	}
}

func TestHTTPDuplicateRequestRunsHandlerTwice(t *testing.T) {
	calls := 0
	s, _, cli := httpPair(link.Params{Latency: link.Fixed(ms)}, func(w http.ResponseWriter, r *http.Request) {
		calls++
		io.WriteString(w, "ok")
	})
	s.Net().SetLink("client", "server", link.Params{Latency: link.Fixed(ms), Dup: 1})
	var body string
	get(cli, "http://server/", time.Second, func(_ int, b string, err error) { body = b })
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	responses := 0
	for _, e := range s.Trace().Events {
		if e.Kind == model.Deliver && e.Name == "http-response" {
			responses++
		}
	}
	if calls != 2 || body != "ok" || responses != 2 {
		t.Fatalf("calls=%d body=%q responses delivered=%d", calls, body, responses)
	}
}

func TestHTTPHandlerPanicAbortsExchange(t *testing.T) {
	s, _, cli := httpPair(link.Default, func(w http.ResponseWriter, r *http.Request) {
		panic("handler bug")
	})
	var err error
	get(cli, "http://server/p", 100*ms, func(_ int, _ string, e error) { err = e })
	if _, e := s.Run(); e != nil {
		t.Fatal(e)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	found := false
	for _, e := range s.Trace().Events {
		if e.Kind == model.Note && e.Name == "http-abort" && e.Attrs["panic"] == "handler bug" {
			found = true
		}
	}
	if !found {
		t.Fatal("no http-abort note")
	}
}

func TestHTTPUnknownHostAndIPv6Literal(t *testing.T) {
	s, _, cli := httpPair(link.Default, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "v6") })
	var errName error
	var body6 string
	get(cli, "http://nowhere/", time.Second, func(_ int, _ string, e error) { errName = e })
	get(cli, "http://[fd00::1]/", time.Second, func(_ int, b string, e error) {
		if e != nil {
			t.Error(e)
		}
		body6 = b
	})
	if _, e := s.Run(); e != nil {
		t.Fatal(e)
	}
	var dns *net.DNSError
	if !errors.As(errName, &dns) || !dns.IsNotFound {
		t.Fatalf("unknown host: %v", errName)
	}
	if body6 != "v6" {
		t.Fatalf("IPv6 literal body %q", body6)
	}
	if !strings.Contains(string(ndjson(t, s.Trace())), `"src":"[fd00::2]:`) {
		t.Fatal("IPv6 exchange did not use IPv6 addresses")
	}
}

func TestHTTPCrashedServerTimesOutAndRecovers(t *testing.T) {
	s, srv, cli := httpPair(link.Default, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "up") })
	srv.Crash()
	var first error
	var second string
	get(cli, "http://server/", 50*ms, func(_ int, _ string, e error) { first = e })
	s.At(time.Second, func() {
		srv.Restart(nil)
		get(cli, "http://server/", 50*ms, func(_ int, b string, _ error) { second = b })
	})
	if _, e := s.Run(); e != nil {
		t.Fatal(e)
	}
	if !errors.Is(first, context.DeadlineExceeded) || second != "up" {
		t.Fatalf("first=%v second=%q", first, second)
	}
}

func TestHTTPBadRequestBytesGet400(t *testing.T) {
	s := New(Config{Seed: 1})
	srv, cli := s.AddNode("server"), s.AddNode("client")
	srv.HostHTTP(80, http.NotFoundHandler())
	var reply []byte
	cli.Bind(5000, func(_ netipAddrPort, data []byte) { reply = data })
	s.At(0, func() { cli.Send(5000, addrPort(srv, 80), []byte("NOT HTTP\r\n\r\n")) })
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(reply, []byte("HTTP/1.1 400 ")) {
		t.Fatalf("reply %q", reply)
	}
}
