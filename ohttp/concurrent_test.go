package ohttp

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
)

// lockedRecorder is a recorder safe for the handlers of a real server.
type lockedRecorder struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *lockedRecorder) Record(name string, _ ...model.Term) {
	r.mu.Lock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[name]++
	r.mu.Unlock()
}

// TestConcurrentExchangesOnRealServers runs the relay, the gateway and a
// target as real HTTP servers, behind LimitBodies as served, and drives
// them from many goroutines at once, whole and chunked, while the keyring
// rotates: what the race detector (.ci/race-packages) watches. Every
// answer must be the target's answer to that very request.
func TestConcurrentExchangesOnRealServers(t *testing.T) {
	workers, each := 8, 30
	if testing.Short() {
		each = 10
	}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", r.URL.Path, body)
	}))
	defer target.Close()
	rec := &lockedRecorder{}
	key, err := GenerateKey(rand.Reader, 1, KEMX25519HKDFSHA256, []SymmetricSuite{{KDFHKDFSHA256, AEADAES128GCM}})
	if err != nil {
		t.Fatal(err)
	}
	ring, err := NewKeyring(KeyringConfig{Now: time.Now, Grace: time.Hour, Recorder: rec, Gateway: "G"}, key)
	if err != nil {
		t.Fatal(err)
	}
	gwTransport, rlTransport, clTransport := &http.Transport{}, &http.Transport{}, &http.Transport{}
	defer gwTransport.CloseIdleConnections()
	defer rlTransport.CloseIdleConnections()
	defer clTransport.CloseIdleConnections()
	host := strings.TrimPrefix(target.URL, "http://")
	gateway := httptest.NewServer(LimitBodies(env.Real("gateway"), BodyLimits{}, &Gateway{
		Name: "G", Keys: ring, Transport: gwTransport, Rand: rand.Reader, Recorder: rec,
		Policy: &TargetPolicy{Allow: []string{host}, Schemes: []string{"http"},
			AllowedPrefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		TargetTimeout: 10 * time.Second, WithTimeout: context.WithTimeout,
	}))
	defer gateway.Close()
	relay := httptest.NewServer(LimitBodies(env.Real("relay"), BodyLimits{}, &Relay{
		GatewayURL: gateway.URL + WellKnownPath, GatewayName: "G", Transport: rlTransport, Recorder: rec, Identity: "relay",
	}))
	defer relay.Close()

	clients := []*Client{
		{Name: "c0", GatewayName: "G", RelayURL: relay.URL, KeysURL: gateway.URL + WellKnownPath, Transport: clTransport, Rand: rand.Reader, Recorder: rec},
		{Name: "c1", GatewayName: "G", RelayURL: relay.URL, KeysURL: gateway.URL + WellKnownPath, Transport: clTransport, Rand: rand.Reader, Recorder: rec, Chunked: true},
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		// Rotations race the requests; the grace period keeps pinned
		// clients' keys decrypting.
		defer wg.Done()
		for id := uint8(2); ; id++ {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			k, err := GenerateKey(rand.Reader, id, KEMX25519HKDFSHA256, []SymmetricSuite{{KDFHKDFSHA256, AEADAES128GCM}})
			if err == nil {
				err = ring.Rotate(k)
			}
			if err != nil {
				errs <- err
				return
			}
			ring.Published()
		}
	}()
	var work sync.WaitGroup
	for w := range workers {
		work.Add(1)
		go func() {
			defer work.Done()
			c := clients[w%len(clients)]
			for i := range each {
				path := fmt.Sprintf("/w%d/%d", w, i)
				req, _ := http.NewRequest(http.MethodPost, "http://"+host+path, strings.NewReader(path))
				resp, err := c.Do(req)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || string(body) != path+" "+path {
					errs <- fmt.Errorf("%s: %d %q", path, resp.StatusCode, body)
					return
				}
			}
		}()
	}
	work.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got, want := rec.n[FactClientRecv], workers*each; got != want {
		t.Errorf("%d ClientRecv facts, want %d", got, want)
	}
}
