package bhttp

import (
	"errors"
	"fmt"
	"strings"
)

// Every error from this package wraps exactly one of these, so callers can
// branch with errors.Is without parsing text.
var (
	// ErrTruncated: the input ends, or a length runs past the end of the
	// input or of its section, where RFC 9292 §3.8 does not allow a message
	// to stop.
	ErrTruncated = errors.New("bhttp: truncated message")
	// ErrUnknownFraming: the framing indicator is not 0–3, or, when
	// encoding, Framing is neither KnownLength nor IndeterminateLength.
	ErrUnknownFraming = errors.New("bhttp: unknown framing indicator")
	// ErrWrongKind: the framing indicator is valid but announces a
	// response where a request was expected, or the reverse.
	ErrWrongKind = errors.New("bhttp: framing indicator is for the other kind of message")
	// ErrInvalidControlData: the method, scheme, authority or path breaks
	// the rules for the HTTP/2 pseudo-header it stands for (RFC 9113
	// §8.3.1), or the scheme is not in lowercase (see ValidScheme).
	ErrInvalidControlData = errors.New("bhttp: invalid control data")
	// ErrInvalidStatus: a final status outside 200–599 or an informational
	// status outside 100–199.
	ErrInvalidStatus = errors.New("bhttp: invalid status code")
	// ErrPseudoHeader: a field name starting with ':' in a header or
	// trailer section; control data carries what those would say.
	ErrPseudoHeader = errors.New("bhttp: pseudo-header field in field section")
	// ErrInvalidFieldName: a field name that is empty, has an uppercase
	// letter, or has a byte that is not a token character (RFC 9110 §5.1).
	ErrInvalidFieldName = errors.New("bhttp: invalid field name")
	// ErrInvalidFieldValue: a field value containing a control
	// character other than tab (NUL, CR and LF among them) or DEL, or
	// starting or ending with a space or tab (RFC 9110 §5.5; see
	// ValidFieldValue).
	ErrInvalidFieldValue = errors.New("bhttp: invalid field value")
	// ErrNonZeroPadding: a non-zero byte after the end of the message.
	ErrNonZeroPadding = errors.New("bhttp: non-zero byte in padding")
	// ErrNegativePadding: Padding is negative when encoding.
	ErrNegativePadding = errors.New("bhttp: negative padding")
	// ErrTooLarge: the encoded message would not fit in an int (only an
	// absurd Padding can cause this).
	ErrTooLarge = errors.New("bhttp: message too large to encode")
)

// ParseError reports why and where ParseRequest or ParseResponse rejected
// its input.
type ParseError struct {
	Offset  int    // byte offset in the input of the item at fault
	Section string // the part of the message, e.g. "header section"
	Err     error  // one of the Err* sentinels
	Detail  string // what exactly was wrong; may be empty
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("bhttp: %s at offset %d: %s", e.Section, e.Offset, e.what())
}

func (e *ParseError) what() string {
	switch {
	case e.Detail != "":
		return e.Detail
	case e.Err != nil:
		return strings.TrimPrefix(e.Err.Error(), "bhttp: ")
	}
	return "invalid message"
}

// Unwrap returns Err.
func (e *ParseError) Unwrap() error { return e.Err }

// fault is a rule broken by a value, before anyone knows where the value
// sits; the decoder adds an offset (ParseError) and the encoder a section
// (encodeError). Sharing it keeps the two sides' checks and wording equal.
type fault struct {
	err    error
	detail string
}

func faultf(err error, format string, args ...any) *fault {
	return &fault{err: err, detail: fmt.Sprintf(format, args...)}
}

// encodeError reports why a message could not be encoded.
type encodeError struct {
	section string
	*fault
}

func (e *encodeError) Error() string {
	return "bhttp: cannot encode " + e.section + ": " + e.detail
}

func (e *encodeError) Unwrap() error { return e.err }

// clip shortens s for quoting in an error message, because a hostile input
// can make a name or value as long as the whole message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
