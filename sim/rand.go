package sim

// This file derives the simulation's random streams. Every consumer (a
// node's Env.Rand, a link's loss and latency draws, the swizzle fault...)
// gets its own PCG seeded from SHA-256(seed, stream name), so streams are
// independent: adding a node or a link never shifts another's draws.

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

// streamSeed derives the two PCG seed words of the named stream.
func streamSeed(seed uint64, name string) (uint64, uint64) {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(name))
	var sum [32]byte
	h.Sum(sum[:0])
	return binary.LittleEndian.Uint64(sum[0:8]), binary.LittleEndian.Uint64(sum[8:16])
}

// Rand returns a fresh generator for the named stream. Two calls with the
// same name return generators producing the same sequence; subsystems call
// it once and keep the result. Names are conventionally slash-separated:
// "node/relay/env", "link/a->b", "fault/swizzle".
func (s *Sim) Rand(stream string) *rand.Rand {
	return rand.New(newPCG(s.seed, stream))
}

func newPCG(seed uint64, stream string) *rand.PCG {
	a, b := streamSeed(seed, stream)
	return rand.NewPCG(a, b)
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
