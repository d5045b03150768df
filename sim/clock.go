package sim

import (
	"fmt"
	"math"
	"math/bits"
	"time"
)

// Clock maps true virtual time to what one node's clock reads. Real clocks
// start wrong (Offset), run fast or slow (DriftPPM), and get stepped by NTP
// or an operator (Jumps); services that compare timestamps across nodes, or
// trust a clock to be monotonic, meet all three in production.
//
// The zero Clock is a perfect clock. A Clock is a value: it holds no state
// and Local is a pure function. Node.SetClock installs one on a node, whose
// Env.Now then reads Local and whose timers wait VirtualDuration.
type Clock struct {
	// Epoch is the virtual instant the node's clock was set, from which
	// drift accumulates (typically the node's start).
	Epoch time.Time `json:"epoch"`
	// Offset is how far the clock is ahead (negative: behind) at Epoch.
	Offset time.Duration `json:"offset,omitempty"`
	// DriftPPM is the rate error in parts per million: +50 gains 50µs per
	// true second. Resolution is one part per trillion (1e-6 ppm); it must
	// lie in (-1e6, 1e6) so that the clock still moves forward.
	DriftPPM float64 `json:"drift_ppm,omitempty"`
	// Jumps step the clock by By from virtual instant At on.
	Jumps []ClockJump `json:"jumps,omitempty"`
}

// ClockJump steps a clock by By (forward or back) at virtual time At.
type ClockJump struct {
	At time.Time     `json:"at"`
	By time.Duration `json:"by"`
}

// maxDriftPPM bounds |DriftPPM|: at -1e6 the clock would stand still.
const maxDriftPPM = 1e6

// Validate reports what is wrong with c, if anything.
func (c *Clock) Validate() error {
	if !(c.DriftPPM > -maxDriftPPM && c.DriftPPM < maxDriftPPM) { // also rejects NaN
		return fmt.Errorf("sim: clock drift_ppm = %v, want a value in (-1e6, 1e6)", c.DriftPPM)
	}
	for i, j := range c.Jumps {
		if j.At.IsZero() {
			return fmt.Errorf("sim: clock jump %d (by %v) has no instant", i, j.By)
		}
	}
	return nil
}

// Local returns the node's clock reading at true virtual time v:
//
//	v + Offset + drift·(v − Epoch) + Σ{By : At ≤ v}
//
// rounded to the nanosecond. The result carries no monotonic reading, as a
// wall clock that can jump should not.
func (c *Clock) Local(v time.Time) time.Time {
	local := v.Round(0).Add(c.Offset + c.driftOver(v.Sub(c.Epoch)))
	for _, j := range c.Jumps {
		if !j.At.After(v) {
			local = local.Add(j.By)
		}
	}
	return local
}

// driftPPT is the drift in parts per trillion, the integer unit in which
// it is applied exactly. An out-of-range drift (which Validate rejects) is
// clamped, and NaN taken as zero, so that Local never panics.
func (c *Clock) driftPPT() int64 {
	const limit = 1e12 - 1
	switch ppt := math.Round(c.DriftPPM * 1e6); {
	case ppt != ppt:
		return 0
	case ppt > limit:
		return limit
	case ppt < -limit:
		return -limit
	default:
		return int64(ppt)
	}
}

// driftOver is how much the clock gains (or loses) over a true elapsed
// time d: round(d · ppt / 1e12), computed in 128 bits so that it is exact
// for every representable d.
func (c *Clock) driftOver(d time.Duration) time.Duration {
	return time.Duration(mulDivRound(int64(d), c.driftPPT(), 1e12))
}

// VirtualDuration is how much true virtual time passes while this clock
// advances by local, ignoring jumps: what a timer armed for local on the
// node (which counts with the node's drifting oscillator) really waits.
// It rounds up, so a timer never fires before its local deadline.
func (c *Clock) VirtualDuration(local time.Duration) time.Duration {
	if local <= 0 {
		return local
	}
	// virtual = local · 1e12 / (1e12 + ppt), and 1e12+ppt > 0 by Validate.
	den := uint64(1e12 + c.driftPPT()) // ≥ 1 after clamping
	hi, lo := bits.Mul64(uint64(local), 1e12)
	if hi >= den {
		return math.MaxInt64 // the quotient would not fit in 64 bits
	}
	q, r := bits.Div64(hi, lo, den)
	if r != 0 {
		q++
	}
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(q)
}

// mulDivRound returns round(a·b/c) (halves away from zero) for c > 0,
// using a 128-bit product. The quotient must fit in an int64, which holds
// for drift because |b| < c.
func mulDivRound(a, b, c int64) int64 {
	neg := (a < 0) != (b < 0)
	ua, ub := absU64(a), absU64(b)
	hi, lo := bits.Mul64(ua, ub)
	q, r := bits.Div64(hi, lo, uint64(c))
	if r >= uint64(c)-r { // r ≥ c/2 without overflow
		q++
	}
	if neg {
		return -int64(q)
	}
	return int64(q)
}

func absU64(x int64) uint64 {
	if x < 0 {
		return uint64(-x) // also right for MinInt64, by wraparound
	}
	return uint64(x)
}
