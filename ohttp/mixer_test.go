package ohttp

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// serveAll sends n requests through h at once and returns when all are
// served.
func serveAll(h http.Handler, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
		}()
	}
	wg.Wait()
}

// A batch of k is held until the k-th request arrives, then released
// together; a partial batch goes after the batch timeout.
func TestMixerReleasesInBatches(t *testing.T) {
	var mu sync.Mutex
	var served []time.Time
	inner := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		served = append(served, time.Now())
		mu.Unlock()
	})
	m := NewMixer(env.Real("relay"), MixConfig{Batch: 4, BatchTimeout: time.Minute})
	h := m.Wrap(inner)
	done := make(chan struct{})
	go func() { serveAll(h, 3); close(done) }()
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	early := len(served)
	mu.Unlock()
	if early != 0 {
		t.Fatalf("%d of 3 requests served before the batch of 4 filled", early)
	}
	start := time.Now()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
	<-done
	if len(served) != 4 {
		t.Fatalf("%d served, want 4", len(served))
	}
	for _, at := range served {
		if at.Before(start) {
			t.Fatalf("a request went %v after the batch filled", at.Sub(start))
		}
	}

	// A partial batch waits for the timeout, then goes.
	m = NewMixer(env.Real("relay"), MixConfig{Batch: 4, BatchTimeout: 150 * time.Millisecond})
	served = nil
	start = time.Now()
	serveAll(m.Wrap(inner), 2)
	if len(served) != 2 || served[0].Sub(start) < 150*time.Millisecond {
		t.Fatalf("partial batch: %d served, first after %v", len(served), served[0].Sub(start))
	}
}

// With no batching and no delay the mixer is the handler itself.
func TestMixerOffForwardsAtOnce(t *testing.T) {
	calls := 0
	h := NewMixer(env.Real("relay"), MixConfig{}).Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls++ }))
	for range 10 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
	}
	if calls != 10 {
		t.Fatalf("%d calls", calls)
	}
}
