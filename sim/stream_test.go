package sim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/link"
)

// streamWorld is a client and a server node joined by link p, with stream
// configuration cfg.
func streamWorld(t testing.TB, seed uint64, p link.Params, cfg StreamConfig) (s *Sim, cli, srv *Node) {
	t.Helper()
	s = New(Config{Seed: seed})
	cli, srv = s.AddNode("client"), s.AddNode("server")
	if err := s.Net().SetDefault(p); err != nil {
		t.Fatal(err)
	}
	if err := s.Net().SetStreamConfig(cfg); err != nil {
		t.Fatal(err)
	}
	return s, cli, srv
}

func runSim(t testing.TB, s *Sim) *Report {
	t.Helper()
	rep, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// at is virtual time as a node's clock (without offset) shows it.
func at(d time.Duration) time.Time { return Epoch.Add(d) }

// listen is Env.Listen that fails the test on error.
func listen(t testing.TB, env env.Env, addr string) *Listener {
	t.Helper()
	ln, err := env.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return ln.(*Listener)
}

// wantErrno checks that err is a *net.OpError for op wrapping errno.
func wantErrno(t testing.TB, err error, op string, errno syscall.Errno) {
	t.Helper()
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != op || !errors.Is(err, errno) {
		t.Fatalf("got %v (%T), want *net.OpError %s wrapping %v", err, err, op, errno)
	}
}

func TestStreamEchoAndAddresses(t *testing.T) {
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(5 * ms)}, StreamConfig{})
	msg := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320 KB: more than a window
	var got []byte
	var srvLocal, srvRemote, cliLocal, cliRemote net.Addr
	srv.Go("server", func() {
		ln := listen(t, srv.Env(), ":7")
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
			return
		}
		ln.Close()
		srvLocal, srvRemote = c.LocalAddr(), c.RemoteAddr()
		if _, err := io.Copy(c, c); err != nil {
			t.Error("echo:", err)
		}
		c.Close()
	})
	cli.Go("client", func() {
		env := cli.Env()
		c, err := env.Dial(context.Background(), "tcp", "server:7")
		if err != nil {
			t.Error(err)
			return
		}
		cliLocal, cliRemote = c.LocalAddr(), c.RemoteAddr()
		env.Go("writer", func() {
			if _, err := c.Write(msg); err != nil {
				t.Error(err)
			}
			c.(*Conn).CloseWrite()
		})
		got, err = io.ReadAll(c)
		if err != nil {
			t.Error(err)
		}
		c.Close()
	})
	runSim(t, s)
	if !bytes.Equal(got, msg) {
		t.Fatalf("echoed %d bytes, sent %d", len(got), len(msg))
	}
	if cliRemote.String() != "10.0.0.2:7" || srvLocal.String() != "10.0.0.2:7" {
		t.Fatalf("server address %v / %v", cliRemote, srvLocal)
	}
	if cliLocal.String() != "10.0.0.1:49152" || srvRemote.String() != cliLocal.String() {
		t.Fatalf("client address %v / %v", cliLocal, srvRemote)
	}
	if _, ok := cliLocal.(*net.TCPAddr); !ok {
		t.Fatalf("LocalAddr is %T", cliLocal)
	}
}

func TestStreamIPv6ByNetworkAndLiteral(t *testing.T) {
	s, cli, srv := streamWorld(t, 1, link.Default, StreamConfig{})
	var addrs []string
	srv.Go("server", func() {
		ln, err := srv.Env().Listen("tcp6", "[::]:8")
		if err != nil {
			t.Error(err)
			return
		}
		if ln.Addr().String() != "[::]:8" {
			t.Errorf("listener addr %v", ln.Addr())
		}
		for range 2 {
			c, err := ln.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			addrs = append(addrs, c.LocalAddr().String()+"<-"+c.RemoteAddr().String())
			c.Close()
		}
	})
	cli.Go("client", func() {
		for _, a := range []string{"server:8", "[fd00::2]:8"} {
			c, err := cli.Env().Dial(context.Background(), "tcp6", a)
			if err != nil {
				t.Error(a, err)
				return
			}
			c.Close()
		}
		// A v6-only listener refuses IPv4.
		_, err := cli.Env().Dial(context.Background(), "tcp4", "server:8")
		wantErrno(t, err, "dial", syscall.ECONNREFUSED)
	})
	runSim(t, s)
	want := "[fd00::2]:8<-[fd00::1]:49152 [fd00::2]:8<-[fd00::1]:49153"
	if got := strings.Join(addrs, " "); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestStreamDialRefused(t *testing.T) {
	s, cli, _ := streamWorld(t, 1, link.Params{Latency: link.Fixed(3 * ms)}, StreamConfig{})
	var err error
	var when time.Duration
	cli.Go("client", func() {
		_, err = cli.Env().Dial(context.Background(), "tcp", "server:80")
		when = s.Now()
	})
	runSim(t, s)
	wantErrno(t, err, "dial", syscall.ECONNREFUSED)
	if when != 6*ms {
		t.Fatalf("refused after %v, want one round trip (6ms)", when)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("message %q", err)
	}
	if count(s.Trace(), model.Drop, ReasonUnbound) != 1 || countName(s.Trace(), model.Deliver, "tcp/RST,ACK") != 1 {
		t.Fatal("no RST for the closed port in the trace")
	}
}

func countName(tr *model.Trace, kind model.EventKind, name string) int {
	n := 0
	for _, e := range tr.Events {
		if e.Kind == kind && e.Name == name {
			n++
		}
	}
	return n
}

// TestStreamHalfClose: the client shuts its write side; the server reads
// to EOF, then answers on the still-open direction.
func TestStreamHalfClose(t *testing.T) {
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Uniform(ms, 4*ms)}, StreamConfig{})
	var srvGot, cliGot []byte
	var writeAfter error
	srv.Go("server", func() {
		ln := listen(t, srv.Env(), ":9")
		c, _ := ln.Accept()
		var err error
		srvGot, err = io.ReadAll(c) // ends with the client's FIN
		if err != nil {
			t.Error(err)
		}
		c.Write([]byte("answer to " + string(srvGot)))
		c.Close()
	})
	cli.Go("client", func() {
		c, _ := cli.Env().Dial(context.Background(), "tcp", "server:9")
		c.Write([]byte("question"))
		c.(*Conn).CloseWrite()
		_, writeAfter = c.Write([]byte("more"))
		var err error
		cliGot, err = io.ReadAll(c)
		if err != nil {
			t.Error(err)
		}
		c.Close()
	})
	rep := runSim(t, s)
	if string(srvGot) != "question" || string(cliGot) != "answer to question" {
		t.Fatalf("server got %q, client got %q", srvGot, cliGot)
	}
	wantErrno(t, writeAfter, "write", syscall.EPIPE)
	if !rep.Quiescent || len(rep.Blocked) != 0 {
		t.Fatalf("run did not wind down: %+v", rep)
	}
	tr := s.Trace()
	if countName(tr, model.Send, "tcp/FIN,ACK")+countName(tr, model.Send, "tcp/FIN,PSH,ACK") < 2 {
		t.Fatal("expected a FIN each way in the trace")
	}
}

// TestStreamCloseThenDataResets: data arriving after Close is answered
// with RST, and the writer sees ECONNRESET.
func TestStreamCloseThenDataResets(t *testing.T) {
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(ms)}, StreamConfig{})
	srv.Go("server", func() {
		ln := listen(t, srv.Env(), ":9")
		c, _ := ln.Accept()
		c.Close()
	})
	var err error
	cli.Go("client", func() {
		env := cli.Env()
		c, _ := env.Dial(context.Background(), "tcp", "server:9")
		env.Sleep(10 * ms) // the server's FIN has arrived
		if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Errorf("read after the peer closed: %d, %v", n, err)
		}
		c.Write([]byte("anyone?")) // accepted locally, reset remotely
		env.Sleep(10 * ms)
		_, err = c.Write([]byte("hello?"))
	})
	runSim(t, s)
	wantErrno(t, err, "write", syscall.ECONNRESET)
}

// TestStreamCloseWithUnreadDataResets: closing with unread bytes resets at
// once; the peer's read fails with ECONNRESET.
func TestStreamCloseWithUnreadDataResets(t *testing.T) {
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(ms)}, StreamConfig{})
	srv.Go("server", func() {
		ln := listen(t, srv.Env(), ":9")
		c, _ := ln.Accept()
		srv.Env().Sleep(10 * ms)
		c.Close()
	})
	var err error
	cli.Go("client", func() {
		c, _ := cli.Env().Dial(context.Background(), "tcp", "server:9")
		c.Write([]byte("unread"))
		_, err = c.Read(make([]byte, 10))
	})
	runSim(t, s)
	wantErrno(t, err, "read", syscall.ECONNRESET)
}

// TestStreamAcceptCloseAndBacklog: Close unblocks Accept with
// net.ErrClosed at that instant; SYNs beyond the backlog go unanswered;
// queued connections are reset by Close.
func TestStreamAcceptCloseAndBacklog(t *testing.T) {
	cfg := StreamConfig{Backlog: 2, RTOInitial: 100 * ms, SynRetries: 2}
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(ms)}, cfg)
	var acceptErr error
	var acceptAt time.Duration
	srv.Go("server", func() {
		env := srv.Env()
		ln := listen(t, env, ":9")
		env.Sleep(500 * ms) // three dials arrive; two fit the backlog
		env.Go("closer", func() {
			env.Sleep(time.Second)
			ln.Close()
		})
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
			return
		}
		c.Close()
		c, _ = ln.Accept() // the second queued one
		c.Close()
		_, acceptErr = ln.Accept()
		acceptAt = s.Now()
	})
	var errs []error
	for i := range 3 {
		cli.Go("dialer", func() {
			cli.Env().Sleep(time.Duration(i) * ms)
			_, err := cli.Env().Dial(context.Background(), "tcp", "server:9")
			errs = append(errs, err)
		})
	}
	runSim(t, s)
	if !errors.Is(acceptErr, net.ErrClosed) || acceptAt != 1500*ms {
		t.Fatalf("Accept after Close: %v at %v", acceptErr, acceptAt)
	}
	if len(errs) != 3 || errs[0] != nil || errs[1] != nil {
		t.Fatalf("dial errors %v", errs)
	}
	wantErrno(t, errs[2], "dial", syscall.ETIMEDOUT)
	if len(srv.ports) != 0 {
		t.Fatalf("server ports still bound: %v", srv.ports)
	}
}

func TestStreamListenErrors(t *testing.T) {
	s, _, srv := streamWorld(t, 1, link.Default, StreamConfig{})
	srv.Go("server", func() {
		env := srv.Env()
		ln := listen(t, env, "10.0.0.2:80")
		if ln.Addr().String() != "10.0.0.2:80" {
			t.Errorf("addr %v", ln.Addr())
		}
		_, err := env.Listen("tcp", ":80")
		wantErrno(t, err, "listen", syscall.EADDRINUSE)
		_, err = env.Listen("tcp", "10.9.9.9:81")
		wantErrno(t, err, "listen", syscall.EADDRNOTAVAIL)
		if _, err = env.Listen("udp", ":81"); !strings.Contains(err.Error(), "unknown network") {
			t.Errorf("udp: %v", err)
		}
		if _, err = env.Listen("tcp4", "[fd00::2]:81"); err == nil {
			t.Error("tcp4 on an IPv6 address")
		}
		eph := listen(t, env, ":0")
		if eph.Addr().(*net.TCPAddr).Port != 49152 {
			t.Errorf("ephemeral listen %v", eph.Addr())
		}
		// After Close the port can be listened on again.
		ln.Close()
		ln2 := listen(t, env, "server:80")
		ln2.Close()
		if err := ln2.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close: %v", err)
		}
	})
	runSim(t, s)
}

func TestStreamSegmentsAreLabelledInTheTrace(t *testing.T) {
	s, cli, srv := streamWorld(t, 1, link.Default, StreamConfig{})
	srv.Go("server", func() {
		c, _ := listen(t, srv.Env(), ":9").Accept()
		io.Copy(io.Discard, c)
		c.Close()
	})
	cli.Go("client", func() {
		c, _ := cli.Env().Dial(context.Background(), "tcp", "server:9")
		c.Write([]byte("hi"))
		c.Close()
	})
	runSim(t, s)
	tr := s.Trace()
	var names []string
	for _, e := range tr.Events {
		if e.Kind == model.Send {
			names = append(names, e.Node+":"+e.Name)
		}
	}
	// The server's FIN carries the acknowledgement of the data and FIN
	// that arrived together.
	want := "client:tcp/SYN server:tcp/SYN,ACK client:tcp/ACK client:tcp/PSH,ACK client:tcp/FIN,ACK server:tcp/FIN,ACK client:tcp/ACK"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("segments:\n got %s\nwant %s", got, want)
	}
	if rep, _ := s.Run(); rep != nil && len(rep.Blocked) != 0 {
		t.Fatalf("blocked: %v", rep.Blocked)
	}
}

func TestStreamConfigValidate(t *testing.T) {
	for _, c := range []StreamConfig{{MSS: -1}, {RTOMin: time.Second, RTOMax: ms}, {RecvBuffer: 1 << 33}} {
		if err := New(Config{}).Net().SetStreamConfig(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if got := New(Config{}).Net().StreamConfig(); got != DefaultStreamConfig {
		t.Fatalf("defaults %+v", got)
	}
}

func TestStreamMalformedSegment(t *testing.T) {
	for _, b := range [][]byte{nil, make([]byte, segHeader), append([]byte{segMagic, 0xff}, make([]byte, 20)...)} {
		var se *SegmentError
		if _, err := parseSegment(b); !errors.As(err, &se) {
			t.Errorf("%x: %v", b, err)
		}
	}
	sg, err := parseSegment(encodeSegment(flagSYN|flagACK, 7, 9, 11, []byte("x")))
	if err != nil || sg.flags != flagSYN|flagACK || sg.seq != 7 || sg.ack != 9 || sg.wnd != 11 || string(sg.data) != "x" || sg.len() != 2 {
		t.Fatalf("%+v %v", sg, err)
	}
}

// TestStreamHostResolverAndLoopback: host names go through the node's
// HostResolver, as for HTTP; "localhost" is the node itself.
func TestStreamHostResolverAndLoopback(t *testing.T) {
	s, cli, srv := streamWorld(t, 1, link.Default, StreamConfig{})
	cli.SetHostResolver(func(_ context.Context, _ env.Env, host string) (netip.Addr, error) {
		if host == "db.example" {
			return srv.Addr6(), nil
		}
		return netip.Addr{}, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	})
	var remote string
	var dnsErr error
	srv.Go("server", func() {
		ln := listen(t, srv.Env(), ":5432")
		c, _ := ln.Accept()
		c.Close()
	})
	cli.Go("client", func() {
		env := cli.Env()
		c, err := env.Dial(context.Background(), "tcp", "db.example:5432")
		if err != nil {
			t.Error(err)
			return
		}
		remote = c.RemoteAddr().String()
		c.Close()
		_, dnsErr = env.Dial(context.Background(), "tcp", "nowhere.example:1")
		// Loopback: a node talks to itself.
		ln := listen(t, env, "localhost:99")
		env.Go("self-server", func() {
			c, _ := ln.Accept()
			io.Copy(c, c)
			c.Close()
		})
		c, err = env.Dial(context.Background(), "tcp", "127.0.0.1:99")
		if err != nil {
			t.Error(err)
			return
		}
		c.Write([]byte("me"))
		c.(*Conn).CloseWrite()
		if b, _ := io.ReadAll(c); string(b) != "me" || c.RemoteAddr().String() != "10.0.0.1:99" {
			t.Errorf("loopback: %q from %v", b, c.RemoteAddr())
		}
		c.Close()
	})
	runSim(t, s)
	if remote != "[fd00::2]:5432" {
		t.Fatalf("remote %s", remote)
	}
	var de *net.DNSError
	if !errors.As(dnsErr, &de) || !de.IsNotFound {
		t.Fatalf("unknown host: %v", dnsErr)
	}
}
