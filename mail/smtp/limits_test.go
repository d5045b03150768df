package smtp

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

const hello = "EHLO c.test\r\n"

func codes(t *testing.T, cfg ServerConfig, in string) (string, *recordingBackend) {
	t.Helper()
	b := &recordingBackend{}
	out := runSession(t, cfg, b, []byte(in))
	return strings.Join(replyCodes(t, out), "|"), b
}

func TestMalformedCommandsAndSequence(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown verb", "FOO\r\n", "220|500 5.5.2"},
		{"MAIL before EHLO", "MAIL FROM:<a@b.c>\r\n", "220|503 5.5.1"},
		{"no brackets", hello + "MAIL FROM:a@b.c\r\n", "220|250|501 5.1.7"},
		{"bad recipient", hello + "MAIL FROM:<a@b.c>\r\nRCPT TO:<nodomain>\r\n", "220|250|250 2.1.0|501 5.1.3"},
		{"unknown parameter", hello + "MAIL FROM:<a@b.c> FOO=1\r\n", "220|250|555 5.5.4"},
		{"parameter after HELO", "HELO c\r\nMAIL FROM:<a@b.c> SIZE=10\r\n", "220|250|555 5.5.4"},
		{"repeated parameter", hello + "MAIL FROM:<a@b.c> SIZE=1 SIZE=2\r\n", "220|250|501 5.5.4"},
		{"BINARYMIME not offered", hello + "MAIL FROM:<a@b.c> BODY=BINARYMIME\r\n", "220|250|555 5.5.4"},
		{"RCPT before MAIL", hello + "RCPT TO:<a@b.c>\r\n", "220|250|503 5.5.1"},
		{"nested MAIL", hello + "MAIL FROM:<a@b.c>\r\nMAIL FROM:<a@b.c>\r\n", "220|250|250 2.1.0|503 5.5.1"},
		{"DATA without RCPT", hello + "MAIL FROM:<a@b.c>\r\nDATA\r\n", "220|250|250 2.1.0|554 5.5.1"},
		{"DATA without MAIL", hello + "DATA\r\n", "220|250|503 5.5.1"},
		{"NUL in command", hello + "NOOP\x00x\r\n", "220|250|500 5.5.2"},
		{"bare LF in command", hello + "NOOP\nNOOP\r\n", "220|250|500 5.5.2|250 2.0.0"},
		{"bare CR in command", hello + "NOOP\rRSET\r\n", "220|250|500 5.5.2"},
		{"non-ASCII without SMTPUTF8", hello + "MAIL FROM:<jürgen@exämple.org>\r\n", "220|250|553 5.6.7"},
		{"non-ASCII before EHLO", "HELO c\r\nMAIL FROM:<jürgen@b.c>\r\n", "220|250|500 5.6.7"},
		{"UTF-8 recipient without SMTPUTF8", hello + "MAIL FROM:<a@b.c>\r\nRCPT TO:<zoë@b.c>\r\n", "220|250|250 2.1.0|553 5.6.7"},
		{"VRFY and EXPN", hello + "VRFY someone\r\nEXPN list\r\n", "220|250|252 2.5.0|502 5.5.1"},
		{"HELP NOOP RSET QUIT", hello + "HELP\r\nNOOP\r\nRSET\r\nQUIT\r\nNOOP\r\n", "220|250|214 2.0.0|250 2.0.0|250 2.0.0|221 2.0.0"},
		{"STARTTLS without TLS", hello + "STARTTLS\r\n", "220|250|502 5.5.1"},
		{"empty EHLO", "EHLO\r\n", "220|501 5.5.4"},
		{"BDAT without size closes", hello + "BDAT x\r\nNOOP\r\n", "220|250|501 5.5.4"},
		{"BDAT before MAIL consumes the chunk", hello + "BDAT 8\r\nNOOP\r\nXXBDAT 0 LAST\r\n", "220|250|503 5.5.1|503 5.5.1"},
		{"DATA after BDAT", hello + "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 1\r\nxDATA\r\n", "220|250|250 2.1.0|250 2.1.5|250 2.0.0|503 5.5.1"},
		{"refused pipelined MAIL", hello + "MAIL FROM:<a@b.c> SIZE=x\r\nRCPT TO:<d@e.f>\r\nDATA\r\nNOOP\r\n",
			"220|250|501 5.5.4|503 5.5.1|503 5.5.1|250 2.0.0"},
		{"source route and quoted local part parse", hello + "MAIL FROM:<@r.example:a@b.c>\r\nRCPT TO:<\"x@y\"@e.f>\r\n",
			"220|250|250 2.1.0|250 2.1.5"},
	} {
		got, _ := codes(t, ServerConfig{}, tc.in)
		if got != tc.want {
			t.Errorf("%s: replies %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestLimits(t *testing.T) {
	tx := hello + "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\n"
	long := strings.Repeat("x", 600)
	for _, tc := range []struct {
		name, in, want string
		msgs           int
	}{
		{"command line over 512", hello + "NOOP " + long + "\r\nNOOP\r\n", "220|250|500 5.5.2|250 2.0.0", 0},
		{"endless line", hello + "NOOP " + strings.Repeat(long, 10) + "\r\nNOOP\r\n", "220|250|500 5.5.2|250 2.0.0", 0},
		{"RCPT may be longer by ORCPT", hello + "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f> ORCPT=rfc822;" + long[:450] + "\r\n",
			"220|250|250 2.1.0|250 2.1.5", 0},
		{"text line over 1000", tx + "DATA\r\n" + strings.Repeat("y", 999) + "\r\n.\r\nNOOP\r\n", "220|250|250 2.1.0|250 2.1.5|354|500 5.5.2|250 2.0.0", 0},
		{"text line of 998", tx + "DATA\r\n" + strings.Repeat("y", 998) + "\r\n.\r\n", "220|250|250 2.1.0|250 2.1.5|354|250 2.6.0", 1},
		{"SIZE over the limit", hello + "MAIL FROM:<a@b.c> SIZE=2000\r\n", "220|250|552 5.3.4", 0},
		{"message over the limit", tx + "DATA\r\n" + strings.Repeat("z\r\n", 400) + ".\r\nNOOP\r\n", "220|250|250 2.1.0|250 2.1.5|354|552 5.3.4|250 2.0.0", 0},
		{"BDAT over the limit", tx + "BDAT 1200\r\n" + strings.Repeat("z", 1200) + "BDAT 1 LAST\r\nz", "220|250|250 2.1.0|250 2.1.5|552 5.3.4|503 5.5.1", 0},
		{"too many recipients", hello + "MAIL FROM:<a@b.c>\r\nRCPT TO:<1@e.f>\r\nRCPT TO:<2@e.f>\r\nRCPT TO:<3@e.f>\r\nDATA\r\nx\r\n.\r\n",
			"220|250|250 2.1.0|250 2.1.5|250 2.1.5|452 4.5.3|354|250 2.6.0", 1},
		{"too many commands", hello + strings.Repeat("NOOP\r\n", 10), "220|250|250 2.0.0|250 2.0.0|250 2.0.0|250 2.0.0|421 4.7.0", 0},
	} {
		cfg := ServerConfig{MaxMessageSize: 1000, MaxRecipients: 2}
		if tc.name == "too many commands" {
			cfg.MaxCommands = 5
		}
		if tc.name == "text line over 1000" || tc.name == "text line of 998" {
			cfg.MaxMessageSize = 0
		}
		got, b := codes(t, cfg, tc.in)
		if got != tc.want || len(b.msgs) != tc.msgs {
			t.Errorf("%s: replies %s (%d messages), want %s (%d)", tc.name, got, len(b.msgs), tc.want, tc.msgs)
		}
		if tc.name == "too many recipients" && len(b.msgs) == 1 && len(b.msgs[0].Rcpts) != 2 {
			t.Errorf("message went to %d recipients", len(b.msgs[0].Rcpts))
		}
	}
}

func TestTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ticks []time.Duration
		want  string
	}{
		{"idle", []time.Duration{4 * time.Minute, 6 * time.Minute}, "421 4.4.2"},
		{"session", []time.Duration{4 * time.Minute, 8 * time.Minute, 12 * time.Minute}, "421 4.4.2"},
	} {
		s := NewServerSession(ServerConfig{IdleTimeout: 5 * time.Minute, SessionTimeout: 10 * time.Minute}, &SessionInfo{}, t0)
		s.Ready()
		var out []byte
		for _, d := range tc.ticks {
			if tc.name == "session" {
				s.Receive(t0.Add(d), []byte("NOOP\r\n")) // activity keeps idleness away
			}
			s.Tick(t0.Add(d))
			out = append(out, s.Ready().Out...)
		}
		if !s.Closed() || !strings.Contains(string(out), tc.want) {
			t.Errorf("%s: closed=%v out=%q", tc.name, s.Closed(), out)
		}
	}
	// Deadline tells the adapter when to tick.
	s := NewServerSession(ServerConfig{IdleTimeout: time.Minute}, &SessionInfo{}, t0)
	if d := s.Ready().Deadline; !d.Equal(t0.Add(time.Minute)) {
		t.Fatalf("deadline %v", d)
	}
}

// After STARTTLS nothing sent in the clear survives into the TLS session,
// and the session starts over.
func TestStartTLSDropsPlaintextAndResets(t *testing.T) {
	s := NewServerSession(ServerConfig{TLS: true}, &SessionInfo{}, t0)
	s.Receive(t0, []byte("EHLO c\r\nSTARTTLS\r\nMAIL FROM:<injected@x.y>\r\n"))
	rd := s.Ready()
	if !rd.StartTLS || !strings.HasSuffix(string(rd.Out), "220 2.0.0 ready to start TLS\r\n") || rd.Request != nil {
		t.Fatalf("%+v %q", rd, rd.Out)
	}
	s.Receive(t0, []byte("RCPT TO:<x@y.z>\r\n"))
	s.TLSStarted(t0, nil)
	if s.Info().Helo != "" {
		t.Fatal("HELO survived STARTTLS")
	}
	s.Receive(t0, []byte("MAIL FROM:<a@b.c>\r\n"))
	if got := string(s.Ready().Out); !strings.HasPrefix(got, "503 5.5.1") {
		t.Fatalf("MAIL without a new EHLO after TLS: %q", got)
	}
}

func TestConnectionsPerAddressAndLateHangUp(t *testing.T) {
	b := &syncBackend{}
	addr := startServer(t, &Server{Backend: b, MaxConnsPerIP: 2})
	var conns []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		want := "220 "
		if i == 2 {
			want = "421 4.7.0"
		}
		if !strings.HasPrefix(line, want) {
			t.Fatalf("connection %d: %q", i, line)
		}
		conns = append(conns, c)
	}
	// A client that sends a whole message and hangs up without waiting
	// still has it taken: what was sent before the hang-up is answered.
	c := conns[0]
	c.Write([]byte(hello + "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: x\r\n\r\nx\r\n.\r\n"))
	c.(*net.TCPConn).CloseWrite()
	rest := make([]byte, 4096)
	var got []byte
	for {
		n, err := c.Read(rest)
		got = append(got, rest[:n]...)
		if err != nil {
			break
		}
	}
	if !strings.Contains(string(got), "250 2.6.0") || len(b.messages()) != 1 {
		t.Fatalf("half-closed client: %q, %d messages", got, len(b.messages()))
	}
}
