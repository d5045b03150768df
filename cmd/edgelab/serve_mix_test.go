package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgelab/edgelab/ohttp"
)

// syncBuffer is a bytes.Buffer the servers' goroutines and the test may
// share: serve's lockedWriter around it, read under the same lock.
type syncBuffer struct {
	lockedWriter
	b bytes.Buffer
}

func newSyncBuffer() *syncBuffer {
	s := &syncBuffer{}
	s.w = &s.b
	return s
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logLines are the request log's lines of role with method.
func logLines(log, role, method string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if f := strings.Fields(l); len(f) >= 5 && f[0] == role && f[1] == method {
			out = append(out, l)
		}
	}
	return out
}

// TestServeOHTTPBatchesAndProxiesKeys runs `edgelab serve ohttp --batch 4
// --log` over real loopback sockets. Clients fetch their keys from the
// address the command prints, which is the relay's key proxy, so the
// gateway's log shows key fetches from the relay's connections only and
// never a client's address. Three requests sent at once wait in the
// relay (the gateway sees none of them) until a fourth fills the batch;
// then all four reach the gateway and are answered.
func TestServeOHTTPBatchesAndProxiesKeys(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	old := interrupted
	t.Cleanup(func() { interrupted = old })
	interrupted = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	out, errb := newSyncBuffer(), newSyncBuffer()
	exited := make(chan int)
	go func() {
		exited <- run([]string{"serve", "ohttp", "--batch", "4", "--batch-timeout", "1m", "--log"}, out, errb)
	}()
	defer func() {
		cancel()
		if code := <-exited; code != 0 {
			t.Errorf("serve exited %d: %s", code, errb.String())
		}
	}()
	var relayURL, keysURL, targetURL string
	for deadline := time.Now().Add(10 * time.Second); targetURL == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, l := range strings.Split(out.String(), "\n") {
			f := strings.Fields(l)
			switch {
			case len(f) >= 2 && f[0] == "relay":
				relayURL = f[1]
			case len(f) >= 2 && f[0] == "keys":
				keysURL = f[1]
			case len(f) >= 2 && f[0] == "target":
				targetURL = f[1]
			}
		}
	}
	if targetURL == "" {
		t.Fatalf("serve printed no URLs: %q %q", out.String(), errb.String())
	}
	if !strings.HasPrefix(keysURL, strings.TrimSuffix(relayURL, "/")+ohttp.WellKnownPath) {
		t.Fatalf("keys URL %s is not the relay's (%s)", keysURL, relayURL)
	}

	// Every connection a client opens, by its local address.
	var mu sync.Mutex
	clientAddrs := map[string]bool{}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			mu.Lock()
			clientAddrs[c.LocalAddr().String()] = true
			mu.Unlock()
		}
		return c, err
	}
	send := func(i int, done chan<- error) {
		c := &ohttp.Client{Name: "c", RelayURL: relayURL, KeysURL: keysURL, Rand: rand.Reader,
			Transport: &http.Transport{DialContext: dial, DisableCompression: true}}
		req, _ := http.NewRequest(http.MethodGet, targetURL+"r"+string(rune('0'+i)), nil)
		resp, err := c.Do(req)
		if err == nil {
			io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = io.ErrUnexpectedEOF
			}
		}
		done <- err
	}
	done := make(chan error, 4)
	for i := range 3 {
		go send(i, done)
	}
	// The three fetch their keys (through the relay) and are held there.
	for deadline := time.Now().Add(10 * time.Second); len(logLines(out.String(), "relay", "GET")) < 3 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if posts := logLines(out.String(), "gateway", "POST"); len(posts) != 0 {
		t.Fatalf("the gateway got %d requests before the relay's batch of 4 filled:\n%s", len(posts), out.String())
	}
	go send(3, done)
	for range 4 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("requests not answered:\n%s", out.String())
		}
	}
	log := out.String()
	if posts := logLines(log, "gateway", "POST"); len(posts) != 4 {
		t.Fatalf("gateway saw %d requests, want 4:\n%s", len(posts), log)
	}
	keyFetches := logLines(log, "gateway", "GET")
	if len(keyFetches) < 4 {
		t.Fatalf("gateway saw %d key fetches, want one per client through the proxy:\n%s", len(keyFetches), log)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(clientAddrs) == 0 {
		t.Fatal("no client connections recorded")
	}
	for _, l := range append(logLines(log, "gateway", "POST"), keyFetches...) {
		if clientAddrs[strings.TrimSuffix(strings.Fields(l)[4], ":")] {
			t.Fatalf("the gateway saw a client's address: %s", l)
		}
	}
	for _, l := range logLines(log, "relay", "GET") {
		if !clientAddrs[strings.TrimSuffix(strings.Fields(l)[4], ":")] {
			t.Fatalf("a key fetch at the relay from no client: %s", l)
		}
	}
}
