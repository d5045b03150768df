package sim

// This file gives simulated nodes their own clocks. Env.Now reads the
// node's Clock (offset, drift, jumps). Timers count with the node's
// oscillator, so they run at the clock's rate: Env.Sleep(d) and
// Env.WithTimeout(d) on a node whose clock gains 100 ppm take
// Clock.VirtualDuration(d) — slightly less than d — of true virtual time.
// Jumps step what Now reads but not timers, as a wall-clock step does not
// move a monotonic timer. Each jump is a Fault event in the trace.

import (
	"math"
	"time"

	"github.com/edgelab/edgelab/model"
)

// SetClock installs the node's clock. A zero c.Epoch is taken as now, so
// drift accumulates from the moment the clock is set. Jumps at instants
// still to come are recorded in the trace when they happen.
func (n *Node) SetClock(c Clock) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Epoch.IsZero() {
		c.Epoch = Epoch.Add(n.s.now)
	}
	c.Jumps = append([]ClockJump(nil), c.Jumps...)
	n.clk = &c
	n.clockGen++
	for _, j := range c.Jumps {
		if at := j.At.Sub(Epoch); at > n.s.now {
			n.scheduleJumpEvent(at, j.By)
		}
	}
	return nil
}

// Clock returns the node's clock (the zero Clock if it has none).
func (n *Node) Clock() Clock {
	if n.clk == nil {
		return Clock{}
	}
	c := *n.clk
	c.Jumps = append([]ClockJump(nil), c.Jumps...)
	return c
}

// JumpClock steps the node's clock by by now, as NTP or an operator would.
func (n *Node) JumpClock(by time.Duration) {
	if n.clk == nil {
		n.clk = &Clock{Epoch: Epoch.Add(n.s.now)}
	}
	n.clk.Jumps = append(n.clk.Jumps, ClockJump{At: Epoch.Add(n.s.now), By: by})
	n.logJump(by)
}

func (n *Node) scheduleJumpEvent(at, by time.Duration) {
	gen := n.clockGen
	n.s.At(at, func() {
		if n.clockGen == gen {
			n.logJump(by)
		}
	})
}

func (n *Node) logJump(by time.Duration) {
	n.s.Log(n, model.Fault, "clock-jump", map[string]string{"by": by.String()})
}

// stopClockJumps drops the jumps still to come (healing: all faults stop).
// Offset and drift stay: they are what the hardware is like.
func (n *Node) stopClockJumps() {
	if n.clk == nil {
		return
	}
	now := Epoch.Add(n.s.now)
	kept := n.clk.Jumps[:0]
	for _, j := range n.clk.Jumps {
		if !j.At.After(now) {
			kept = append(kept, j)
		}
	}
	n.clk.Jumps = kept
	n.clockGen++
}

// localNow is what the node's clock reads now.
func (n *Node) localNow() time.Time {
	t := Epoch.Add(n.s.now)
	if n.clk != nil {
		return n.clk.Local(t)
	}
	return t
}

// timerDuration is the true virtual time a timer armed for d on this node
// waits.
func (n *Node) timerDuration(d time.Duration) time.Duration {
	if n.clk != nil {
		return n.clk.VirtualDuration(d)
	}
	return d
}

// deadlineAfter is now+d in virtual time, saturating instead of wrapping
// for a huge d (a timer "forever" must not fire in the past).
func (s *Sim) deadlineAfter(d time.Duration) time.Duration {
	if d > math.MaxInt64-s.now {
		return math.MaxInt64
	}
	return s.now + d
}
