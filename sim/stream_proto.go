package sim

// This file holds the wire format of the simulated stream protocol: a
// segment is one message of the network layer, with a fixed header
// (flags, sequence and acknowledgement numbers, window) and a payload.
// It also answers segments that reach a port nobody listens on with RST,
// as a host's TCP stack does: that is how Dial learns ECONNREFUSED and how
// a peer learns that a crashed node's connection is gone.
//
// Sequence numbers are 64-bit and start below 2^32, so unlike TCP's they
// never wrap and compare with plain < and >.

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"

	"github.com/edgelab/edgelab/sim/internal/streams"
)

// Segment flags.
const (
	flagSYN uint8 = 1 << iota
	flagACK
	flagFIN
	flagRST
	flagMask = flagSYN | flagACK | flagFIN | flagRST
)

const (
	// segMagic starts every segment, so a datagram or an HTTP message that
	// reaches a stream port by mistake is not taken for one.
	segMagic = 0xE7
	// segHeader is magic(1) flags(1) seq(8) ack(8) window(4).
	segHeader = 22
	// labelPrefix starts the trace name of every segment.
	labelPrefix = "tcp/"
)

// segment is a decoded segment. data aliases the message's bytes, which
// nobody modifies once sent.
type segment struct {
	flags uint8
	seq   uint64
	ack   uint64
	wnd   uint32
	data  []byte
}

// len is the sequence space the segment occupies: SYN and FIN count one.
func (sg *segment) len() uint64 {
	n := uint64(len(sg.data))
	if sg.flags&flagSYN != 0 {
		n++
	}
	if sg.flags&flagFIN != 0 {
		n++
	}
	return n
}

// SegmentError reports bytes at a stream port that are not a segment.
type SegmentError struct {
	Reason string
}

func (e *SegmentError) Error() string { return "sim: malformed stream segment: " + e.Reason }

func parseSegment(b []byte) (segment, error) {
	if len(b) < segHeader {
		return segment{}, &SegmentError{Reason: "short header (" + strconv.Itoa(len(b)) + " bytes)"}
	}
	if b[0] != segMagic {
		return segment{}, &SegmentError{Reason: "bad magic"}
	}
	if b[1]&^flagMask != 0 {
		return segment{}, &SegmentError{Reason: "unknown flags"}
	}
	return segment{
		flags: b[1],
		seq:   binary.BigEndian.Uint64(b[2:]),
		ack:   binary.BigEndian.Uint64(b[10:]),
		wnd:   binary.BigEndian.Uint32(b[18:]),
		data:  b[segHeader:],
	}, nil
}

// encodeSegment returns a new message body: header then a copy of payload.
func encodeSegment(flags uint8, seq, ack uint64, wnd uint32, payload []byte) []byte {
	b := make([]byte, segHeader+len(payload))
	b[0] = segMagic
	b[1] = flags
	binary.BigEndian.PutUint64(b[2:], seq)
	binary.BigEndian.PutUint64(b[10:], ack)
	binary.BigEndian.PutUint32(b[18:], wnd)
	copy(b[segHeader:], payload)
	return b
}

// segLabels names segments in the trace the way tcpdump would describe
// them ("tcp/SYN,ACK", "tcp/PSH,ACK" for data), indexed by flags plus 16
// when there is payload. They are built once so sending a segment formats
// nothing.
var segLabels = func() [32]string {
	var t [32]string
	for i := range t {
		f := uint8(i) & flagMask
		var parts []string
		if f&flagSYN != 0 {
			parts = append(parts, "SYN")
		}
		if f&flagFIN != 0 {
			parts = append(parts, "FIN")
		}
		if f&flagRST != 0 {
			parts = append(parts, "RST")
		}
		if i&16 != 0 {
			parts = append(parts, "PSH")
		}
		if f&flagACK != 0 {
			parts = append(parts, "ACK")
		}
		if len(parts) == 0 {
			parts = append(parts, "NONE")
		}
		t[i] = labelPrefix + strings.Join(parts, ",")
	}
	return t
}()

func segLabel(flags uint8, data bool) string {
	i := flags & flagMask
	if data {
		i |= 16
	}
	return segLabels[i]
}

// isSegment reports whether m was sent by the stream protocol.
func isSegment(m *message) bool { return strings.HasPrefix(m.label, labelPrefix) }

// refuseSegment is called by the network for a message that reached a port
// with nothing bound: a segment there is answered with RST (RFC 793 3.4),
// so a connection attempt is refused and a connection whose state vanished
// in a crash is reset.
func refuseSegment(to *Node, m *message) {
	if !isSegment(m) {
		return
	}
	sg, err := parseSegment(m.data)
	if err != nil {
		return
	}
	sendReset(to, m.dst.Port(), m.src, &sg)
}

// sendReset answers sg, which arrived at port on n from dst and belongs to
// no connection, with the RST that RFC 793 prescribes: the sequence number
// the segment acknowledged, or an acknowledgement of the segment.
func sendReset(n *Node, port uint16, dst netip.AddrPort, sg *segment) {
	if sg.flags&flagRST != 0 || n.s.silenced() {
		return // never answer a reset
	}
	var b []byte
	if sg.flags&flagACK != 0 {
		b = encodeSegment(flagRST, sg.ack, 0, 0, nil)
	} else {
		b = encodeSegment(flagRST|flagACK, 0, sg.seq+sg.len(), 0, nil)
	}
	n.send(segLabel(b[1], false), port, dst, b)
}

// initialSeq derives a connection's initial sequence number from the seed,
// the node, its incarnation, the two endpoints and the virtual time (RFC
// 6528 in spirit): every connection gets its own, independent of other
// nodes' activity, and the same seed gives the same one.
func initialSeq(n *Node, local, remote netip.AddrPort) uint64 {
	var b []byte
	b = append(b, "stream/isn/"...)
	b = append(b, n.name...)
	b = append(b, '/')
	b = strconv.AppendUint(b, n.inc, 10)
	b = append(b, '/')
	b = local.AppendTo(b)
	b = append(b, '/')
	b = remote.AppendTo(b)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(n.s.now), 10)
	x, _ := streams.Seed(n.s.seed, string(b))
	return x & (1<<32 - 1)
}
