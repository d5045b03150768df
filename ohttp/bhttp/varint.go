package bhttp

// Lengths and numbers use QUIC variable-length integers (RFC 9000 §16): the
// top two bits of the first byte give the size (1, 2, 4 or 8 bytes), and the
// rest is the value, big-endian.

// maxVarint is the largest value a variable-length integer can carry.
const maxVarint = 1<<62 - 1

// varintLen is the size of the shortest encoding of v.
func varintLen(v uint64) int {
	switch {
	case v < 1<<6:
		return 1
	case v < 1<<14:
		return 2
	case v < 1<<30:
		return 4
	default:
		return 8
	}
}

// appendVarint appends the shortest encoding of v, so that a message this
// package writes is byte-for-byte what RFC 9292's examples show. v must not
// exceed maxVarint; every caller passes a length of data held in memory or a
// status already checked to be below 600.
func appendVarint(b []byte, v uint64) []byte {
	switch varintLen(v) {
	case 1:
		return append(b, byte(v))
	case 2:
		return append(b, 0x40|byte(v>>8), byte(v))
	case 4:
		return append(b, 0x80|byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return append(b, 0xc0|byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
			byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

// readVarint decodes the integer at the start of b and returns it with its
// size, or a size of 0 when b is too short to hold it. Longer-than-needed
// encodings are accepted: RFC 9292 §3 says integers "do not need to be
// encoded on the minimum number of bytes necessary".
func readVarint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0
	}
	v = uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}

// appendString appends s with its length prefix.
func appendString(b []byte, s string) []byte {
	b = appendVarint(b, uint64(len(s)))
	return append(b, s...)
}

// stringLen is what appendString adds for a string of n bytes.
func stringLen(n int) int {
	return varintLen(uint64(n)) + n
}
