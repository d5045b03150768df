package ohttp

// This file is the gateway's key rotation loop: the task that keeps a
// Keyring on its schedule. The keyring itself decides (MaybeRotate) and
// keeps a replaced key decrypting for its grace period; this loop only
// asks often enough, on the Env's clock, so the simulator and `edgelab
// serve ohttp --rotate` run the same schedule.

import (
	"context"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// RotationChecksPerPeriod is how many times per RotateEvery the loop asks
// the keyring whether a rotation is due, so a key is replaced at most a
// quarter period late.
const RotationChecksPerPeriod = 4

// RunRotation keeps ring on its rotation schedule (KeyringConfig's
// RotateEvery; zero returns at once), drawing new keys from e's
// randomness. It returns when ctx is done or, if until is not zero, once
// e's clock has reached until (a simulation stops it so, to go quiescent).
// rotated, if not nil, is called after each rotation.
func RunRotation(ctx context.Context, e env.Env, ring *Keyring, until time.Time, rotated func()) {
	every := ring.rotateEvery
	if every <= 0 {
		return
	}
	tick := every / RotationChecksPerPeriod
	for ctx.Err() == nil && (until.IsZero() || e.Now().Before(until)) {
		e.Sleep(tick)
		if ctx.Err() != nil {
			return
		}
		if ok, err := ring.MaybeRotate(e.Rand()); err == nil && ok && rotated != nil {
			rotated()
		}
	}
}
