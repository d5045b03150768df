package ohttp

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// The rotation loop keeps a keyring on its schedule: with keys due every
// 40ms, a loop that runs until 300ms from now rotates several times, each
// new key replaces the published one, and the replaced one still decrypts
// in its grace period. It returns at its deadline, and at once when its
// context is done.
func TestRunRotationKeepsTheSchedule(t *testing.T) {
	e := env.Real("gateway")
	first := testKey(t, rand.NewChaCha8([32]byte{1}), 1)
	ring, err := NewKeyring(KeyringConfig{Now: e.Now, Grace: time.Minute, RotateEvery: 40 * time.Millisecond}, first)
	if err != nil {
		t.Fatal(err)
	}
	rotations := 0
	RunRotation(context.Background(), e, ring, e.Now().Add(300*time.Millisecond), func() { rotations++ })
	pub := ring.Published()
	if rotations < 2 || len(pub) != 1 || pub[0].KeyID == first.KeyID() {
		t.Fatalf("%d rotations, published %v", rotations, pub)
	}
	if _, err := ring.Lookup(first.KeyID()); err != nil {
		t.Fatalf("the first key no longer decrypts within its grace period: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := rotations
	RunRotation(ctx, e, ring, time.Time{}, func() { rotations++ })
	if rotations != before {
		t.Fatal("a cancelled loop rotated")
	}
	// No schedule, no loop.
	still, _ := NewKeyring(KeyringConfig{Now: e.Now}, first)
	RunRotation(context.Background(), e, still, time.Time{}, func() { t.Fatal("rotated without a schedule") })
}
