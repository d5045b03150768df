package sim

// This file hands out the simulation's random streams (derived in
// internal/streams) and reads bytes from them.

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/edgelab/edgelab/sim/internal/streams"
)

// Rand returns a fresh generator for the named stream. Two calls with the
// same name return generators producing the same sequence; subsystems call
// it once and keep the result. Names are conventionally slash-separated:
// "node/relay/env", "link/a->b", "fault/swizzle".
func (s *Sim) Rand(stream string) *rand.Rand {
	return rand.New(streams.PCG(s.seed, stream))
}

// randReader is an io.Reader over a PCG stream. Leftover bytes of a word are
// kept, so the bytes produced do not depend on how reads are split.
type randReader struct {
	src  *rand.PCG
	buf  [8]byte
	left int // unread bytes at the end of buf
}

func (r *randReader) Read(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && r.left > 0 {
		p[0] = r.buf[8-r.left]
		p = p[1:]
		r.left--
	}
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, r.src.Uint64())
		p = p[8:]
	}
	if len(p) > 0 {
		binary.LittleEndian.PutUint64(r.buf[:], r.src.Uint64())
		k := copy(p, r.buf[:])
		r.left = 8 - k
	}
	return n, nil
}
