package sim

// This file is the receiving half of the stream protocol engine: what a
// connection does with each segment that arrives — the handshake, resets,
// cumulative acknowledgements (with fast retransmit after three duplicates),
// and in-order reassembly that discards duplicates and holds segments that
// overtook a lost one until the gap is filled.

import (
	"slices"
	"syscall"
)

// oooSeg is a segment that arrived ahead of a gap.
type oooSeg struct {
	seq  uint64
	data []byte
	fin  bool
}

// receive is the endpoint of a dialled connection's port.
func (c *Conn) receive(m *message) {
	sg, err := parseSegment(m.data)
	if err != nil {
		return
	}
	if m.src != c.remote {
		sendReset(c.n, c.local.Port(), m.src, &sg)
		return
	}
	c.input(&sg)
}

// input processes one segment from the peer.
func (c *Conn) input(sg *segment) {
	if c.state == stateClosed || c.stale() {
		return
	}
	if sg.flags&flagRST != 0 {
		c.inputReset(sg)
		return
	}
	c.heardAt = c.s.now
	switch c.state {
	case stateSynSent:
		c.inputSynSent(sg)
		return
	case stateSynRcvd:
		if sg.flags&flagSYN != 0 {
			if sg.seq == c.irs {
				c.timing = false // Karn: which SYN-ACK an ACK answers is unknown
				c.sendSynAck()   // the SYN again: our SYN-ACK was lost
			}
			return
		}
		if sg.flags&flagACK == 0 {
			return
		}
		if sg.ack <= c.iss || sg.ack > c.sndMax {
			sendReset(c.n, c.local.Port(), c.remote, sg)
			return
		}
		c.state = stateOpen
		c.ln.established(c)
	}
	if sg.flags&flagSYN != 0 {
		// A copy of the handshake, delayed or duplicated: acknowledge it so
		// the peer stops retransmitting a SYN-ACK.
		c.sendAck()
		return
	}
	if sg.flags&flagACK != 0 {
		c.inputAck(sg)
	}
	if len(sg.data) > 0 || sg.flags&flagFIN != 0 {
		c.inputData(sg)
	}
	if c.state == stateClosed {
		return
	}
	c.output()
	c.settle()
}

func (c *Conn) inputSynSent(sg *segment) {
	if sg.flags&flagACK != 0 && sg.ack != c.iss+1 {
		sendReset(c.n, c.local.Port(), c.remote, sg)
		return
	}
	if sg.flags&(flagSYN|flagACK) != flagSYN|flagACK {
		return // simultaneous open is not modelled
	}
	c.irs = sg.seq
	c.rcvNxt = sg.seq + 1
	c.ackProgress(sg.ack)
	c.sndLimit = sg.ack + uint64(sg.wnd)
	c.state = stateOpen
	c.stopRtx()
	c.sendAck()
	c.wq.wake(c.s)
}

// inputReset handles RST. It counts only if it is plausible for this
// connection (RFC 793 3.4): in SYN-SENT it must acknowledge our SYN,
// otherwise its sequence number must fall in our window, so a stale reset
// cannot kill a newer connection.
func (c *Conn) inputReset(sg *segment) {
	if c.state == stateSynSent {
		if sg.flags&flagACK != 0 && sg.ack == c.iss+1 {
			c.fail(syscall.ECONNREFUSED)
		}
		return
	}
	wnd := max(uint64(c.rcvWnd()), 1)
	if sg.seq < c.rcvNxt || sg.seq > c.rcvNxt+wnd {
		return
	}
	switch c.state {
	case stateSynRcvd, stateTimeWait:
		c.release()
	default:
		c.fail(syscall.ECONNRESET)
	}
}

func (c *Conn) inputAck(sg *segment) {
	a := sg.ack
	if a > c.sndMax {
		c.sendAck() // acknowledges what we never sent: say where we are
		return
	}
	right := a + uint64(sg.wnd)
	if a > c.sndUna {
		c.ackProgress(a)
		if c.recovery {
			if a >= c.recover {
				c.recovery = false
			} else {
				c.retransmitFirst() // a partial ack: the next hole (NewReno)
			}
		}
		if c.sndUna < c.sndMax {
			c.startRtx(c.s.now + c.rto)
		} else {
			c.stopRtx()
		}
		c.wq.wake(c.s)
	} else if a == c.sndUna && len(sg.data) == 0 && sg.flags&(flagSYN|flagFIN) == 0 &&
		c.sndUna < c.sndMax && right == c.sndLimit && c.sndLimit > c.sndUna {
		// The receiver got a segment beyond a gap.
		c.dupAcks++
		if c.dupAcks == 3 {
			c.recovery = true
			c.recover = c.sndMax
			c.retransmitFirst()
		}
	}
	if a >= c.sndUna && right > c.sndLimit {
		// The receiver's window never shrinks, so a larger edge is newer.
		if c.sndLimit <= c.sndUna && c.sndNxt > c.sndUna {
			// The window opens after probing: the probe byte was
			// discarded, so send from the first unacknowledged byte.
			c.sndNxt = c.sndUna
		}
		c.sndLimit = right
	}
}

// ackProgress records that the peer acknowledged everything below a.
func (c *Conn) ackProgress(a uint64) {
	now := c.s.now
	if c.timing && a >= c.timedSeq {
		c.sampleRTT(now - c.timedAt)
		c.timing = false
	}
	c.cwnd = min(c.cwnd+(a-c.sndUna), uint64(c.cfg.SendBuffer)+uint64(c.cfg.MSS))
	c.sndUna = a
	if c.sndNxt < a {
		c.sndNxt = a
	}
	if a > c.sndBase {
		k := min(a, c.dataEnd()) - c.sndBase
		c.snd.drop(int(k))
		c.sndBase += k
	}
	c.retries = 0
	c.dupAcks = 0
	c.rto = c.baseRTO()
	c.stallSince = now
}

// inputData takes the payload and FIN of a segment into the receive
// buffer, in order.
func (c *Conn) inputData(sg *segment) {
	seq, data := sg.seq, sg.data
	fin := sg.flags&flagFIN != 0
	if end := seq + sg.len(); end <= c.rcvNxt || c.finRcvd {
		c.sendAck() // a duplicate: the peer missed our acknowledgement
		return
	}
	if c.closed && seq+uint64(len(data)) > c.rcvNxt {
		// New bytes after Close: nobody will read them, say so at once.
		c.abort()
		return
	}
	right := c.rcvNxt + uint64(c.rcvWnd())
	if seq >= right && !(seq == c.rcvNxt && len(data) == 0) {
		c.sendAck() // beyond the window (a zero-window probe): tell where it is
		return
	}
	if end := seq + uint64(len(data)); end > right {
		data = data[:right-seq]
		fin = false
	}
	if seq > c.rcvNxt {
		c.stash(seq, data, fin)
		c.sendAck() // a duplicate ack tells the sender about the gap
		return
	}
	c.take(data[c.rcvNxt-seq:], fin)
	i := 0
	for ; i < len(c.ooo) && !c.finRcvd; i++ {
		o := &c.ooo[i]
		if o.seq > c.rcvNxt {
			break
		}
		end := o.seq + uint64(len(o.data))
		if end < c.rcvNxt || (end == c.rcvNxt && !o.fin) {
			continue // covered already
		}
		c.take(o.data[c.rcvNxt-o.seq:], o.fin)
	}
	clear(c.ooo[:i])
	c.ooo = c.ooo[i:]
	if c.finRcvd || len(c.ooo) == 0 {
		c.ooo = nil
	}
	c.rq.wake(c.s)
	if len(c.ooo) > 0 {
		c.sendAck()
	} else {
		c.ackSoon()
	}
}

// take appends in-order bytes (and the FIN after them).
func (c *Conn) take(p []byte, fin bool) {
	if !c.rdShut {
		c.rcv.push(p)
	}
	c.rcvNxt += uint64(len(p))
	if fin {
		c.finRcvd = true
		c.rcvNxt++
	}
}

// stash keeps a segment that arrived beyond a gap, sorted by sequence
// number; of two with the same start the longer stays.
func (c *Conn) stash(seq uint64, data []byte, fin bool) {
	i, found := slices.BinarySearchFunc(c.ooo, seq, func(o oooSeg, s uint64) int {
		switch {
		case o.seq < s:
			return -1
		case o.seq > s:
			return 1
		}
		return 0
	})
	if found {
		if o := &c.ooo[i]; len(data) > len(o.data) || (len(data) == len(o.data) && fin) {
			o.data, o.fin = data, fin
		}
		return
	}
	c.ooo = slices.Insert(c.ooo, i, oooSeg{seq: seq, data: data, fin: fin})
}

// rcvWnd is the window to advertise: the room left in the receive buffer.
func (c *Conn) rcvWnd() int {
	return max(c.cfg.RecvBuffer-c.rcv.len(), 0)
}

// windowUpdate tells a peer that may be short of window that the reader
// made room, once the room is worth a segment.
func (c *Conn) windowUpdate() {
	if c.state != stateOpen || c.finRcvd {
		return
	}
	right := c.rcvNxt + uint64(c.rcvWnd())
	half := uint64(c.cfg.RecvBuffer / 2)
	seen := uint64(0) // the window the peer knows of
	if c.advRight > c.rcvNxt {
		seen = c.advRight - c.rcvNxt
	}
	if seen < half && right >= c.advRight+min(uint64(c.cfg.MSS), half) {
		c.ackSoon()
	}
}
