package sim

// This file holds the knobs of the simulated stream protocol (Env.Dial,
// Env.Listen): segment size, buffers, the retransmission timer and its
// limits, the accept backlog and how long a closed connection lingers.

import (
	"fmt"
	"time"
)

// StreamConfig sets up the TCP-like protocol that carries the simulated
// network's streams. A zero field takes its value from DefaultStreamConfig.
// A connection keeps the configuration in force when it was opened.
type StreamConfig struct {
	// MSS is the most payload bytes one segment carries.
	MSS int
	// SendBuffer bounds the bytes a connection holds that the peer has not
	// acknowledged yet; Write blocks while it is full.
	SendBuffer int
	// RecvBuffer bounds the received bytes not yet read; it is the window
	// the connection advertises.
	RecvBuffer int
	// InitialWindow is how many segments may be in flight before the first
	// acknowledgement, and after a retransmission timeout one segment's
	// worth grows back by what each acknowledgement covers.
	InitialWindow int
	// RTOInitial is the retransmission timeout before any round trip has
	// been measured; RTOMin and RTOMax clamp the measured one (RFC 6298)
	// and its exponential backoff.
	RTOInitial time.Duration
	RTOMin     time.Duration
	RTOMax     time.Duration
	// MaxRetries is how many times in a row data or a FIN is retransmitted
	// without progress before the connection fails with ETIMEDOUT.
	MaxRetries int
	// SynRetries is the same bound for SYN and SYN-ACK.
	SynRetries int
	// UserTimeout, if positive, also fails a connection whose oldest
	// unacknowledged byte has waited that long (TCP_USER_TIMEOUT).
	UserTimeout time.Duration
	// Backlog bounds the connections a listener holds that are not yet
	// accepted (half-open ones included); further SYNs are ignored.
	Backlog int
	// TimeWait is how long a connection whose both FINs were acknowledged
	// keeps its port, to acknowledge a retransmitted FIN.
	TimeWait time.Duration
	// FinTimeout is how long a closed connection waits for the peer's FIN
	// after its own was acknowledged (FIN_WAIT_2 of an orphan).
	FinTimeout time.Duration
}

// DefaultStreamConfig is the configuration of a network that was never
// given one: Linux-like timers and 256 KiB buffers.
var DefaultStreamConfig = StreamConfig{
	MSS:           1460,
	SendBuffer:    256 << 10,
	RecvBuffer:    256 << 10,
	InitialWindow: 10,
	RTOInitial:    time.Second,
	RTOMin:        200 * time.Millisecond,
	RTOMax:        60 * time.Second,
	MaxRetries:    15,
	SynRetries:    6,
	Backlog:       128,
	TimeWait:      2 * time.Second,
	FinTimeout:    60 * time.Second,
}

// maxWindow is the largest window a segment header can carry.
const maxWindow = 1<<32 - 1

// Validate checks c, naming the offending field.
func (c *StreamConfig) Validate() error {
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"mss", int64(c.MSS)}, {"send_buffer", int64(c.SendBuffer)}, {"recv_buffer", int64(c.RecvBuffer)},
		{"initial_window", int64(c.InitialWindow)}, {"rto_initial", int64(c.RTOInitial)},
		{"rto_min", int64(c.RTOMin)}, {"rto_max", int64(c.RTOMax)}, {"max_retries", int64(c.MaxRetries)},
		{"syn_retries", int64(c.SynRetries)}, {"user_timeout", int64(c.UserTimeout)},
		{"backlog", int64(c.Backlog)}, {"time_wait", int64(c.TimeWait)}, {"fin_timeout", int64(c.FinTimeout)},
	} {
		if f.v < 0 {
			return fmt.Errorf("stream %s: negative %d", f.name, f.v)
		}
	}
	if c.RecvBuffer > maxWindow {
		return fmt.Errorf("stream recv_buffer: %d exceeds the largest window %d", c.RecvBuffer, maxWindow)
	}
	d := c.withDefaults()
	if d.RTOMin > d.RTOMax {
		return fmt.Errorf("stream rto_min %v above rto_max %v", d.RTOMin, d.RTOMax)
	}
	return nil
}

// withDefaults fills the zero fields from DefaultStreamConfig.
func (c StreamConfig) withDefaults() StreamConfig {
	d := &DefaultStreamConfig
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	set(&c.MSS, d.MSS)
	set(&c.SendBuffer, d.SendBuffer)
	set(&c.RecvBuffer, d.RecvBuffer)
	set(&c.InitialWindow, d.InitialWindow)
	set(&c.MaxRetries, d.MaxRetries)
	set(&c.SynRetries, d.SynRetries)
	set(&c.Backlog, d.Backlog)
	setD(&c.RTOInitial, d.RTOInitial)
	setD(&c.RTOMin, d.RTOMin)
	setD(&c.RTOMax, d.RTOMax)
	setD(&c.TimeWait, d.TimeWait)
	setD(&c.FinTimeout, d.FinTimeout)
	return c
}

// SetStreamConfig sets the configuration of streams opened from now on.
func (nw *Network) SetStreamConfig(c StreamConfig) error {
	if err := c.Validate(); err != nil {
		return err
	}
	nw.streams = c
	return nil
}

// StreamConfig returns the stream configuration in force, defaults filled
// in.
func (nw *Network) StreamConfig() StreamConfig { return nw.streams.withDefaults() }
