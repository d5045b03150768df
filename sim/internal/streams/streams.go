// Package streams derives the simulation's random streams. Every consumer
// (a node's Env.Rand, a link's loss and latency draws, the swizzle fault,
// a plan drawn from a seed...) gets its own PCG seeded from
// SHA-256(seed, stream name), so streams are independent: adding a node or
// a link never shifts another's draws.
package streams

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

// Seed derives the two PCG seed words of the named stream.
func Seed(seed uint64, name string) (uint64, uint64) {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(name))
	var sum [32]byte
	h.Sum(sum[:0])
	return binary.LittleEndian.Uint64(sum[0:8]), binary.LittleEndian.Uint64(sum[8:16])
}

// PCG returns a fresh PCG for the named stream of seed.
func PCG(seed uint64, stream string) *rand.PCG {
	a, b := Seed(seed, stream)
	return rand.NewPCG(a, b)
}
