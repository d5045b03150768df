package main

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/edgelab/edgelab/ohttp"
)

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// TestServeOHTTPReusesConnections sends 1000 requests, 16 at a time,
// through the real relay and gateway and counts the connections each hop
// opened: the relay's to the gateway and the gateway's to the target. With
// net/http's default of two idle connections per host most requests beyond
// the second concurrent one open a fresh connection (and leave a socket in
// TIME_WAIT); with pools sized for the load each hop opens about as many
// connections as requests run at once.
func TestServeOHTTPReusesConnections(t *testing.T) {
	const requests, workers = 1000, 16
	var mu sync.Mutex
	counted := map[string]*countingListener{}
	s := startTestServers(t, ohttpServeConfig{
		relay: "127.0.0.1:0", gateway: "127.0.0.1:0", target: "127.0.0.1:0",
		listened: func(role string, l net.Listener) net.Listener {
			c := &countingListener{Listener: l}
			mu.Lock()
			counted[role] = c
			mu.Unlock()
			return c
		},
	})
	clientTransport := &http.Transport{MaxIdleConnsPerHost: workers}
	defer clientTransport.CloseIdleConnections()
	client := &ohttp.Client{Name: "cli", RelayURL: s.RelayURL, KeysURL: s.KeysURL, Transport: clientTransport, Rand: rand.Reader}
	if _, err := client.FetchKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= requests {
				req, _ := http.NewRequest(http.MethodGet, s.TargetURL+"pool", nil)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- &ohttp.ResponseError{StatusCode: resp.StatusCode}
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// The gateway's count includes the client's one key fetch, which
	// happens on a connection of its own before the pool is warm.
	toGateway, toTarget := counted["gateway"].accepted.Load(), counted["target"].accepted.Load()
	t.Logf("%d requests, %d at a time: relay opened %d connections to the gateway, gateway %d to the target", requests, workers, toGateway, toTarget)
	for hop, n := range map[string]int64{"relay to gateway": toGateway, "gateway to target": toTarget} {
		if n > 2*workers {
			t.Errorf("%s: %d connections for %d requests, want at most %d", hop, n, requests, 2*workers)
		}
	}
}
