package ohttpsim

// This file is the relay's mixing: real relay behaviour, on the relay
// node, in front of ohttp.Relay. A request is held until k requests are
// queued or the oldest has waited the batch timeout; the batch is then
// released in a random order (one spacing apart), and each request is
// further delayed by a uniform random amount. Without mixing the relay
// forwards in arrival order at once, which a timing observer exploits.

import (
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// releaseSpacing separates the requests of a released batch, so their
// departure order is the drawn permutation rather than arrival order.
const releaseSpacing = 500 * time.Microsecond

type mixer struct {
	env     env.Env
	k       int
	timeout time.Duration
	delay   time.Duration
	n       env.Notifier
	queue   []*held
}

type held struct {
	released bool
	rank     int
}

func newMixer(env env.Env, cfg Config) *mixer {
	return &mixer{env: env, k: cfg.Batch, timeout: cfg.BatchTimeout, delay: cfg.Delay, n: env.NewNotifier()}
}

// reset forgets the queue: a crash kills the tasks that waited in it.
func (m *mixer) reset() { m.queue = nil }

func (m *mixer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.k > 1 {
			m.hold()
		}
		if m.delay > 0 {
			m.env.Sleep(time.Duration(randUint(m.env.Rand()) % uint64(m.delay)))
		}
		h.ServeHTTP(w, r)
	})
}

func (m *mixer) hold() {
	me := &held{}
	m.queue = append(m.queue, me)
	if len(m.queue) >= m.k {
		m.flush()
	} else {
		ctx, cancel := m.env.WithTimeout(context.Background(), m.timeout)
		for !me.released {
			if err := m.n.Wait(ctx); err != nil {
				if !me.released {
					m.flush()
				}
				break
			}
		}
		cancel()
	}
	if me.rank > 0 {
		m.env.Sleep(time.Duration(me.rank) * releaseSpacing)
	}
}

// flush releases the queue in a random order.
func (m *mixer) flush() {
	batch := m.queue
	m.queue = nil
	perm := make([]int, len(batch))
	for i := range perm {
		j := int(randUint(m.env.Rand()) % uint64(i+1))
		perm[i] = perm[j]
		perm[j] = i
	}
	for i, h := range batch {
		h.released, h.rank = true, perm[i]
	}
	m.n.Notify()
}

func randUint(r io.Reader) uint64 {
	var b [8]byte
	io.ReadFull(r, b[:])
	return binary.LittleEndian.Uint64(b[:])
}
