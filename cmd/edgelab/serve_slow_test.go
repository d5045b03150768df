package main

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/ohttp"
)

// TestServeOHTTPCutsStalledBodies: the served relay and gateway cut a body
// that stalls at --body-timeout and close the connection, and refuse more
// than --max-inflight bodies at once.
func TestServeOHTTPCutsStalledBodies(t *testing.T) {
	const timeout = 400 * time.Millisecond
	s := startTestServers(t, ohttpServeConfig{relay: "127.0.0.1:0", gateway: "127.0.0.1:0", target: "127.0.0.1:0",
		limits: ohttp.BodyLimits{MaxInFlight: 1, BodyTimeout: timeout}})
	for _, u := range []string{s.RelayURL, s.GatewayURL} {
		host := strings.TrimPrefix(u, "http://")
		host = host[:strings.IndexByte(host, '/')]
		stall := func() (net.Conn, *bufio.Reader) {
			c, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			c.Write([]byte("POST " + u[len("http://")+len(host):] + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + ohttp.MediaTypeRequest +
				"\r\nContent-Length: " + strconv.Itoa(1<<20-1) + "\r\n\r\n" + strings.Repeat("x", 1000)))
			c.SetReadDeadline(time.Now().Add(timeout + 20*time.Second))
			return c, bufio.NewReader(c)
		}
		start := time.Now()
		_, first := stall()
		time.Sleep(timeout / 4)
		_, second := stall()
		if line, _ := second.ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 503") {
			t.Fatalf("%s: a body beyond --max-inflight got %q", u, line)
		}
		line, _ := first.ReadString('\n')
		if !strings.HasPrefix(line, "HTTP/1.1 408") || time.Since(start) < timeout*9/10 {
			t.Fatalf("%s: a stalled body got %q after %v", u, line, time.Since(start))
		}
		for {
			if _, err := first.ReadByte(); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatalf("%s: the connection was left open after the 408", u)
				}
				break
			}
		}
	}
}
