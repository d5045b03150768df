package sim

// This file is the sending half of the stream protocol engine: segmenting
// the send buffer within the peer's window and a congestion window,
// retransmission on a virtual-time timer with exponential backoff (and
// zero-window probing on the same timer), the FIN, and the end of a
// connection: failure, abort, TIME_WAIT and release.

import (
	"syscall"
	"time"
)

// dataEnd is one past the sequence number of the last byte written; once
// the write side is shut it is also the FIN's sequence number.
func (c *Conn) dataEnd() uint64 { return c.sndBase + uint64(c.snd.len()) }

// output sends what the windows allow: new bytes, then the FIN.
func (c *Conn) output() {
	if c.state != stateOpen {
		return
	}
	mss := uint64(c.cfg.MSS)
	end := c.dataEnd()
	for c.sndNxt < end {
		limit := min(c.sndLimit, c.sndUna+c.cwnd)
		if c.sndNxt >= limit {
			break
		}
		k := min(end-c.sndNxt, limit-c.sndNxt, mss)
		fin := c.wrShut && c.sndNxt+k == end
		c.sendSeg(c.sndNxt, k, fin)
		c.sndNxt += k
		if fin {
			c.sndNxt++
		}
	}
	if c.wrShut && c.sndNxt == end {
		c.sendSeg(end, 0, true)
		c.sndNxt++
	}
	c.armRtx()
}

// armRtx starts the retransmission timer when something is in flight, or
// when bytes wait for a closed window (then it probes), and stops it when
// neither.
func (c *Conn) armRtx() {
	if c.sndUna < c.sndMax || c.sndNxt < c.dataEnd() {
		if !c.rtxOn {
			c.startRtx(c.s.now + c.rto)
		}
		return
	}
	c.stopRtx()
}

// sendSeg transmits [seq, seq+k) of the send buffer, with a FIN after it if
// fin. It does not move sndNxt: callers decide whether this is new data or
// a retransmission.
func (c *Conn) sendSeg(seq, k uint64, fin bool) {
	off := seq - c.sndBase
	payload := c.snd.bytes()[off : off+k]
	flags := flagACK
	end := seq + k
	if fin {
		flags |= flagFIN
		end++
	}
	now := c.s.now
	if c.sndUna == c.sndMax {
		c.stallSince = now
	}
	switch {
	case seq >= c.sndMax && !c.timing:
		// Time one segment per round trip, never a retransmitted one.
		c.timing = true
		c.timedSeq = end
		c.timedAt = now
	case seq < c.sndMax && c.timing && seq < c.timedSeq:
		c.timing = false // Karn: an ack would be ambiguous
	}
	c.emit(flags, seq, payload)
	c.sentAt = now
	if end > c.sndMax {
		c.sndMax = end
	}
}

// retransmitFirst sends again the segment at sndUna: up to a segment's
// worth of bytes within the window, and at least one byte even when the
// window is closed, which makes it a zero-window probe.
func (c *Conn) retransmitFirst() {
	end := c.dataEnd()
	switch {
	case c.sndUna < end:
		win := uint64(1)
		if c.sndLimit > c.sndUna {
			win = c.sndLimit - c.sndUna
		}
		k := min(end-c.sndUna, uint64(c.cfg.MSS), win)
		fin := c.wrShut && c.sndUna+k == end
		c.sendSeg(c.sndUna, k, fin)
		if next := c.sndUna + k; next > c.sndNxt {
			c.sndNxt = next
			if fin {
				c.sndNxt++
			}
		}
	case c.wrShut && c.sndUna == end:
		c.sendSeg(end, 0, true)
		c.sndNxt = max(c.sndNxt, end+1)
	}
}

// retransmitTimeout is the retransmission timer firing.
func (c *Conn) retransmitTimeout() {
	now := c.s.now
	switch c.state {
	case stateSynSent, stateSynRcvd:
		c.retries++
		if c.retries > c.cfg.SynRetries {
			if c.state == stateSynSent {
				c.fail(syscall.ETIMEDOUT)
			} else {
				c.release() // a half-open connection nobody holds
			}
			return
		}
		c.backoff()
		c.timing = false
		if c.state == stateSynSent {
			c.sendSyn()
		} else {
			c.sendSynAck()
		}
		c.startRtx(now + c.rto)
		return
	case stateOpen:
	default:
		return
	}
	if c.sndUna == c.sndMax && c.sndNxt >= c.dataEnd() {
		return // everything acknowledged meanwhile
	}
	if c.sndLimit <= c.sndUna && c.heardAt > c.sentAt {
		// The peer answers but its window is closed: keep probing (a
		// persist timer), as long as it keeps answering.
		c.retries = 0
	}
	c.retries++
	if c.retries > c.cfg.MaxRetries || (c.cfg.UserTimeout > 0 && now-c.stallSince >= c.cfg.UserTimeout) {
		c.fail(syscall.ETIMEDOUT)
		return
	}
	c.backoff()
	// Go back to the oldest unacknowledged byte with a window of one
	// segment; acknowledgements grow it back (slow start).
	c.timing = false
	c.recovery = false
	c.dupAcks = 0
	c.sndNxt = c.sndUna
	c.cwnd = uint64(c.cfg.MSS)
	c.retransmitFirst()
	c.output()
	c.startRtx(now + c.rto)
}

// sampleRTT folds a round-trip measurement into the estimate (RFC 6298 2).
func (c *Conn) sampleRTT(r time.Duration) {
	if c.srtt == 0 {
		c.srtt = max(r, 1)
		c.rttvar = r / 2
		return
	}
	diff := c.srtt - r
	if diff < 0 {
		diff = -diff
	}
	c.rttvar = (3*c.rttvar + diff) / 4
	c.srtt = max((7*c.srtt+r)/8, 1)
}

// baseRTO is the timeout from the estimate, without backoff.
func (c *Conn) baseRTO() time.Duration {
	if c.srtt == 0 {
		return min(max(c.cfg.RTOInitial, c.cfg.RTOMin), c.cfg.RTOMax)
	}
	return min(max(c.srtt+max(4*c.rttvar, time.Millisecond), c.cfg.RTOMin), c.cfg.RTOMax)
}

func (c *Conn) backoff() { c.rto = min(2*c.rto, c.cfg.RTOMax) }

// emit sends one segment to the peer; one with ACK carries the current
// acknowledgement and window, which settles any acknowledgement owed.
func (c *Conn) emit(flags uint8, seq uint64, payload []byte) {
	if c.s.silenced() {
		return // a killed task unwinding sends nothing
	}
	wnd := c.rcvWnd()
	var ack uint64
	if flags&flagACK != 0 {
		ack = c.rcvNxt
		c.ackPending = false
		c.advRight = c.rcvNxt + uint64(wnd)
	}
	b := encodeSegment(flags, seq, ack, uint32(min(wnd, maxWindow)), payload)
	c.n.send(segLabel(flags, len(payload) > 0), c.local.Port(), c.remote, b)
}

func (c *Conn) sendSyn() {
	c.emit(flagSYN, c.iss, nil)
	c.afterSyn()
}

func (c *Conn) sendSynAck() {
	c.emit(flagSYN|flagACK, c.iss, nil)
	c.afterSyn()
}

func (c *Conn) afterSyn() {
	now := c.s.now
	if c.sndMax == c.iss {
		c.sndNxt, c.sndMax = c.iss+1, c.iss+1
		c.timing, c.timedSeq, c.timedAt = true, c.iss+1, now
		c.stallSince = now
	}
	c.sentAt = now
}

// sendAck sends a bare acknowledgement now.
func (c *Conn) sendAck() { c.emit(flagACK, c.sndNxt, nil) }

// ackSoon owes the peer an acknowledgement at the end of this instant, so
// the segments that arrive together (a window's worth over a fixed-latency
// link) are acknowledged by one, or by the reply the reader sends.
func (c *Conn) ackSoon() {
	c.ackPending = true
	if !c.ackQueued {
		c.ackQueued = true
		c.arm(tmAck, c.s.now)
	}
}

// shutWrite queues the FIN after the buffered bytes.
func (c *Conn) shutWrite() {
	c.wrShut = true
	c.output()
	c.settle()
}

// settle moves a connection whose FIN was acknowledged on: to TIME_WAIT if
// the peer's FIN came too, or, when closed, to a bounded wait for it.
func (c *Conn) settle() {
	if c.state != stateOpen || !c.wrShut || c.sndUna <= c.dataEnd() {
		return
	}
	if c.finRcvd {
		c.state = stateTimeWait
		c.stopRtx()
		c.arm(tmLinger, c.s.now+c.cfg.TimeWait)
		return
	}
	if c.closed && !c.lingering {
		c.lingering = true
		c.arm(tmLinger, c.s.now+c.cfg.FinTimeout)
	}
}

// abort resets the connection from this side.
func (c *Conn) abort() {
	if c.state != stateClosed && !c.stale() {
		c.emit(flagRST|flagACK, c.sndMax, nil)
	}
	c.err = syscall.ECONNABORTED
	c.release()
}

// fail ends the connection with errno, which Read and Write then report.
func (c *Conn) fail(errno syscall.Errno) {
	c.err = errno
	c.release()
}

// release gives the port back and cancels every timer; blocked tasks wake
// to see why.
func (c *Conn) release() {
	if c.state == stateClosed {
		return
	}
	c.state = stateClosed
	c.stopRtx()
	for k := range c.tgen {
		c.tgen[k]++
	}
	c.ooo = nil
	if c.ln != nil {
		c.ln.forget(c)
	} else if !c.stale() {
		c.n.unbind(c.local.Port(), c)
	}
	c.rq.wake(c.s)
	c.wq.wake(c.s)
}
