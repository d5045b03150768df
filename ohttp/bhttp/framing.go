package bhttp

import "strconv"

// Framing selects how a message marks where its sections end (RFC 9292 §3.3).
type Framing uint8

const (
	// KnownLength prefixes every section with its length (RFC 9292 §3.1).
	KnownLength Framing = iota
	// IndeterminateLength ends field sections with a zero and sends content
	// as chunks, so a sender can start before it knows the sizes (§3.2).
	IndeterminateLength
)

func (f Framing) String() string {
	switch f {
	case KnownLength:
		return "known-length"
	case IndeterminateLength:
		return "indeterminate-length"
	}
	return "Framing(" + strconv.Itoa(int(f)) + ")"
}

// kind is what the low bit of the framing indicator says.
type kind uint8

const (
	requestKind kind = iota
	responseKind
)

func (k kind) String() string {
	if k == requestKind {
		return "request"
	}
	return "response"
}

// indicator is the framing indicator for a message: 0 and 1 are known-length
// request and response, 2 and 3 the indeterminate-length ones.
func indicator(f Framing, k kind) uint64 {
	return uint64(f)<<1 | uint64(k)
}

func checkFraming(f Framing) *fault {
	if f > IndeterminateLength {
		return faultf(ErrUnknownFraming, "framing %d is neither KnownLength nor IndeterminateLength", f)
	}
	return nil
}
