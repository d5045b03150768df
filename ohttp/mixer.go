package ohttp

// This file is the relay's mixer: it holds each request until Batch
// requests are queued or the oldest has waited BatchTimeout, releases the
// batch in a random order (one spacing apart), and delays each request by
// a further uniform random amount below Delay. A relay that forwards in
// arrival order at once lets an observer of both its sides link each
// request to its client by timing alone (the OHTTP world's linkability
// experiment measures how much mixing buys). The mixer runs on the Env
// seam, so the simulator and `edgelab serve ohttp` run this same code.

import (
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// MixConfig says how a relay mixes. The zero value forwards at once.
type MixConfig struct {
	// Batch is how many requests the relay holds before it releases them
	// together; 0 or 1 means no batching.
	Batch int
	// BatchTimeout bounds how long a held request waits for its batch to
	// fill; then the partial batch goes. Required when Batch > 1.
	BatchTimeout time.Duration
	// Delay bounds a uniform random delay added to every request (0:
	// none).
	Delay time.Duration
}

// ReleaseSpacing separates the requests of a released batch, so their
// departure order is the drawn permutation rather than arrival order.
const ReleaseSpacing = 500 * time.Microsecond

// Mixer holds and reorders requests before the handler it wraps sees
// them. It is safe for concurrent use; its lock is never held while a
// request waits.
type Mixer struct {
	env env.Env
	cfg MixConfig
	n   env.Notifier

	mu    sync.Mutex
	queue []*heldRequest
}

type heldRequest struct {
	released bool
	rank     int // position in the released batch's order
}

// NewMixer returns a mixer on e (its clock, timers, randomness and
// wait/notify).
func NewMixer(e env.Env, cfg MixConfig) *Mixer {
	return &Mixer{env: e, cfg: cfg, n: e.NewNotifier()}
}

// Reset forgets the held requests, as a crash does: their tasks are gone.
func (m *Mixer) Reset() {
	m.mu.Lock()
	m.queue = nil
	m.mu.Unlock()
}

// Wrap returns h behind the mixer.
func (m *Mixer) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.cfg.Batch > 1 {
			m.hold()
		}
		if m.cfg.Delay > 0 {
			m.env.Sleep(time.Duration(randUint64(m.env.Rand()) % uint64(m.cfg.Delay)))
		}
		h.ServeHTTP(w, r)
	})
}

// hold queues the caller and returns when its batch is released and its
// turn in the batch's order has come.
func (m *Mixer) hold() {
	me := &heldRequest{}
	m.mu.Lock()
	m.queue = append(m.queue, me)
	full := len(m.queue) >= m.cfg.Batch
	if full {
		m.flushLocked()
	}
	m.mu.Unlock()
	if !full {
		ctx, cancel := m.env.WithTimeout(context.Background(), m.cfg.BatchTimeout)
		for !m.isReleased(me) {
			if err := m.n.Wait(ctx); err != nil {
				m.mu.Lock()
				if !me.released {
					m.flushLocked()
				}
				m.mu.Unlock()
				break
			}
		}
		cancel()
	}
	m.mu.Lock()
	rank := me.rank
	m.mu.Unlock()
	if rank > 0 {
		m.env.Sleep(time.Duration(rank) * ReleaseSpacing)
	}
}

func (m *Mixer) isReleased(h *heldRequest) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return h.released
}

// flushLocked releases the queue in a random order (a Fisher–Yates
// shuffle drawn from the Env's randomness) and wakes the waiters.
// Notify does not block.
func (m *Mixer) flushLocked() {
	batch := m.queue
	m.queue = nil
	perm := make([]int, len(batch))
	for i := range perm {
		j := int(randUint64(m.env.Rand()) % uint64(i+1))
		perm[i] = perm[j]
		perm[j] = i
	}
	for i, h := range batch {
		h.released, h.rank = true, perm[i]
	}
	m.n.Notify()
}

func randUint64(r io.Reader) uint64 {
	var b [8]byte
	io.ReadFull(r, b[:])
	return binary.LittleEndian.Uint64(b[:])
}
