package smtp

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	mu     sync.Mutex
	writes []string
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, string(p))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *countingConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

// TestPipelinedRepliesLeaveInOneWrite: a client that pipelines a whole
// transaction (RFC 2920) gets the replies to MAIL, each RCPT and DATA in
// one write, not one write (one segment, one syscall) per reply, and the
// reply to the end of data in one more; BDAT LAST pipelined with the
// envelope is answered in two (envelope, then the message's verdict).
// A client that waits for each reply still gets each without delay.
func TestPipelinedRepliesLeaveInOneWrite(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv := &Server{Env: env.Real("mx"), Backend: &syncBackend{}, Config: ServerConfig{Hostname: "mx.test"}}
	conns := make(chan *countingConn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		cc := &countingConn{Conn: c}
		conns <- cc
		srv.ServeConn(cc)
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	sc := <-conns
	r := bufio.NewReader(c)
	// readReplies reads n replies (multi-line ones whole).
	readReplies := func(n int) {
		t.Helper()
		for range n {
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("reading replies: %v", err)
				}
				if len(line) >= 4 && line[3] == ' ' {
					break
				}
			}
		}
	}
	send := func(s string) {
		t.Helper()
		if _, err := c.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	readReplies(1) // greeting
	send("EHLO client.test\r\n")
	readReplies(1)
	before := sc.count()
	send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n")
	readReplies(4)
	if n := sc.count() - before; n != 1 {
		t.Errorf("pipelined MAIL, RCPT, RCPT, DATA answered in %d writes, want 1: %q", n, sc.writes[before:])
	}
	send("Subject: x\r\n\r\nbody\r\n.\r\n")
	readReplies(1)
	before = sc.count()
	body := "Subject: y\r\n\r\nbody\r\n"
	send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nBDAT " + strconv.Itoa(len(body)) + " LAST\r\n" + body)
	readReplies(3)
	if n := sc.count() - before; n != 2 {
		t.Errorf("pipelined MAIL, RCPT, BDAT LAST answered in %d writes, want 2: %q", n, sc.writes[before:])
	}
	// Lock step: each reply comes while the client waits for it.
	for _, cmd := range []string{"MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>", "RSET", "NOOP"} {
		send(cmd + "\r\n")
		readReplies(1)
	}
	send("QUIT\r\n")
	readReplies(1)
	if got := strings.Join(sc.writes, ""); !strings.Contains(got, "221") {
		t.Errorf("no 221 at QUIT")
	}
}
