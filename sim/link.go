package sim

// This file holds links: the directed path from one node to another, with
// its parameters (a link.Params) and its fault state (clogged, held). Each
// link draws from its own random stream, named after its endpoints.

import (
	"math/rand/v2"
	"time"

	"github.com/edgelab/edgelab/sim/link"
)

// linkState is the state of one directed pair of nodes.
type linkState struct {
	from, to *Node
	rng      *rand.Rand
	params   *link.Params // nil: the network default
	busy     time.Duration
	clogged  bool
	held     bool
	clogQ    []*message
	holdQ    []*message
}

// delay draws the propagation delay of one message.
func (l *linkState) delay(p *link.Params) time.Duration {
	d := p.Latency.Sample(l.rng)
	if p.Reorder > 0 && l.rng.Float64() < p.Reorder {
		max := p.ReorderDelay
		if max == 0 {
			max = link.DefaultReorderDelay
		}
		d += time.Duration(l.rng.Int64N(int64(max) + 1))
	}
	return d
}

// depart returns when a message of size bytes, offered now, has finished
// serializing onto the link, queueing it behind those before it.
func (l *linkState) depart(now time.Duration, size int, p *link.Params) time.Duration {
	if p.Bandwidth <= 0 {
		return now
	}
	start := max(now, l.busy)
	tx := time.Duration(float64(size) * float64(time.Second) / float64(p.Bandwidth))
	l.busy = start + tx
	return l.busy
}
