package sim

import (
	"math"
	"math/big"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// exactDrift is round(elapsed · ppt / 1e12) computed with big rationals,
// independently of Clock's 128-bit arithmetic.
func exactDrift(elapsed, ppt int64) time.Duration {
	num := new(big.Int).Mul(big.NewInt(elapsed), big.NewInt(ppt))
	// round half away from zero: (|num| + 5e11) / 1e12 with num's sign
	q := new(big.Int).Abs(num)
	q.Add(q, big.NewInt(5e11)).Quo(q, big.NewInt(1e12))
	if num.Sign() < 0 {
		q.Neg(q)
	}
	return time.Duration(q.Int64())
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// TestClockProperties: a clock with drift d is off by d·t after t, exactly
// up to 1ns of rounding; the offset adds; each jump applies from its
// instant on and not a nanosecond before.
func TestClockProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		epoch := time.Unix(rapid.Int64Range(0, 4e9).Draw(t, "epoch"), 0).UTC()
		ppt := rapid.Int64Range(-999_999_999_999, 999_999_999_999).Draw(t, "ppt")
		elapsed := rapid.Int64Range(-3e17, 3e17).Draw(t, "elapsed")
		offset := time.Duration(rapid.Int64Range(-1e12, 1e12).Draw(t, "offset"))
		c := Clock{Epoch: epoch, Offset: offset, DriftPPM: float64(ppt) / 1e6}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := c.driftPPT(); got != ppt {
			t.Fatalf("drift %v ppm read back as %d ppt, want %d", c.DriftPPM, got, ppt)
		}
		v := epoch.Add(time.Duration(elapsed))

		// Drift: off by exactly d·t.
		want := v.Add(offset + exactDrift(elapsed, ppt))
		if diff := absDur(c.Local(v).Sub(want)); diff > time.Nanosecond {
			t.Fatalf("Local(epoch%+v) = %v, want %v (off by %v)", time.Duration(elapsed), c.Local(v), want, diff)
		}
		// Offset adds.
		noOffset := c
		noOffset.Offset = 0
		if got := c.Local(v).Sub(noOffset.Local(v)); got != offset {
			t.Fatalf("offset contributes %v, want %v", got, offset)
		}
		// Jumps apply from their instant on.
		n := rapid.IntRange(0, 4).Draw(t, "jumps")
		withJumps := c
		for range n {
			at := epoch.Add(time.Duration(rapid.Int64Range(-1e12, 1e12).Draw(t, "at")))
			by := time.Duration(rapid.Int64Range(-1e11, 1e11).Draw(t, "by"))
			withJumps.Jumps = append(withJumps.Jumps, ClockJump{At: at, By: by})
		}
		probe := []time.Time{v}
		for _, j := range withJumps.Jumps {
			probe = append(probe, j.At, j.At.Add(-1))
		}
		for _, p := range probe {
			var sum time.Duration
			for _, j := range withJumps.Jumps {
				if !p.Before(j.At) {
					sum += j.By
				}
			}
			if got := withJumps.Local(p).Sub(c.Local(p)); got != sum {
				t.Fatalf("at %v jumps contribute %v, want %v", p, got, sum)
			}
		}
	})
}

func TestClockVirtualDuration(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ppt := rapid.Int64Range(-1e9, 1e9).Draw(t, "ppt") // ±1000 ppm
		c := Clock{Epoch: time.Unix(1e9, 0), DriftPPM: float64(ppt) / 1e6}
		v := c.Epoch.Add(time.Duration(rapid.Int64Range(0, 1e15).Draw(t, "since")))
		local := time.Duration(rapid.Int64Range(1, 1e13).Draw(t, "local"))
		wait := c.VirtualDuration(local)
		advanced := c.Local(v.Add(wait)).Sub(c.Local(v))
		// The timer waits long enough, and not more than a tick too long.
		if advanced < local-time.Nanosecond || advanced > local+2*time.Nanosecond {
			t.Fatalf("waiting %v virtual advanced the clock %v, want %v", wait, advanced, local)
		}
	})
}

func TestClockExamples(t *testing.T) {
	epoch := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := Clock{Epoch: epoch, Offset: -2 * time.Second, DriftPPM: 50,
		Jumps: []ClockJump{{At: epoch.Add(time.Hour), By: -30 * time.Second}}}
	// After 1000s a +50ppm clock has gained 50ms.
	if got, want := c.Local(epoch.Add(1000*time.Second)), epoch.Add(998*time.Second+50*time.Millisecond); !got.Equal(want) {
		t.Errorf("Local(+1000s) = %v, want %v", got, want)
	}
	// At the jump the clock goes back 30s.
	at := epoch.Add(time.Hour)
	before, after := c.Local(at.Add(-time.Nanosecond)), c.Local(at)
	if d := after.Sub(before); d > -29*time.Second {
		t.Errorf("jump moved the clock by %v, want about -30s", d)
	}
	if (&Clock{}).Local(epoch) != epoch {
		t.Error("the zero Clock is not perfect")
	}
	for _, bad := range []Clock{{DriftPPM: 1e6}, {DriftPPM: math.NaN()}, {Jumps: []ClockJump{{By: time.Second}}}} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%+v) = nil", bad)
		}
		bad.Local(epoch) // never panics, even invalid
		bad.VirtualDuration(time.Hour)
	}
}
