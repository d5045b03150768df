package model

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Trace is the ordered record of one run.
type Trace struct {
	Events []Event
}

// Append adds e, numbering it with the next sequence number.
func (t *Trace) Append(e Event) {
	e.Seq = uint64(len(t.Events))
	t.Events = append(t.Events, e)
}

// Facts returns the action-fact events in order.
func (t *Trace) Facts() []Event {
	var out []Event
	for _, e := range t.Events {
		if e.Kind == Fact {
			out = append(out, e)
		}
	}
	return out
}

// AppendNDJSON appends the canonical encoding of t: one JSON object per
// event, each followed by '\n'. The encoding is a pure function of the
// events, so equal traces have equal bytes.
func (t *Trace) AppendNDJSON(b []byte) ([]byte, error) {
	for i := range t.Events {
		line, err := json.Marshal(&t.Events[i])
		if err != nil {
			return b, fmt.Errorf("model: encoding event %d: %w", i, err)
		}
		b = append(b, line...)
		b = append(b, '\n')
	}
	return b, nil
}

// MarshalNDJSON returns the canonical NDJSON encoding of t.
func (t *Trace) MarshalNDJSON() ([]byte, error) { return t.AppendNDJSON(nil) }

// WriteNDJSON writes the canonical NDJSON encoding of t to w.
func (t *Trace) WriteNDJSON(w io.Writer) error {
	b, err := t.MarshalNDJSON()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Hash returns the SHA-256 of the canonical NDJSON encoding.
func (t *Trace) Hash() [32]byte {
	h := sha256.New()
	var buf []byte
	for i := range t.Events {
		buf = buf[:0]
		line, err := json.Marshal(&t.Events[i])
		if err != nil {
			// An unencodable event still has to change the hash.
			line = []byte(err.Error())
		}
		buf = append(buf, line...)
		buf = append(buf, '\n')
		h.Write(buf)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// HashHex returns Hash as lowercase hex.
func (t *Trace) HashHex() string {
	sum := t.Hash()
	return hex.EncodeToString(sum[:])
}

// ErrBadTrace is wrapped by every error from ReadNDJSON.
var ErrBadTrace = errors.New("model: malformed trace")

// TraceError locates a problem in an NDJSON trace.
type TraceError struct {
	Line int
	Err  error
}

func (e *TraceError) Error() string { return fmt.Sprintf("model: trace line %d: %v", e.Line, e.Err) }

// Unwrap lets errors.Is match ErrBadTrace and the underlying cause.
func (e *TraceError) Unwrap() []error { return []error{ErrBadTrace, e.Err} }

// MaxTraceLine bounds one encoded event, so a corrupt file cannot make the
// reader buffer without limit.
const MaxTraceLine = 16 << 20

// ReadNDJSON decodes a trace written by WriteNDJSON. Unknown fields, blank
// lines, and sequence numbers out of order are errors: a trace that does not
// round-trip exactly is not a trace this package wrote.
func ReadNDJSON(r io.Reader) (*Trace, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxTraceLine)
	t := &Trace{}
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Bytes()
		if len(bytes.TrimSpace(raw)) == 0 {
			return nil, &TraceError{Line: line, Err: errors.New("blank line")}
		}
		var e Event
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, &TraceError{Line: line, Err: err}
		}
		if dec.More() {
			return nil, &TraceError{Line: line, Err: errors.New("more than one value on the line")}
		}
		if e.Seq != uint64(len(t.Events)) {
			return nil, &TraceError{Line: line, Err: fmt.Errorf("sequence number %d, want %d", e.Seq, len(t.Events))}
		}
		if e.Kind == "" {
			return nil, &TraceError{Line: line, Err: errors.New("event without a kind")}
		}
		t.Events = append(t.Events, e)
	}
	if err := sc.Err(); err != nil {
		return nil, &TraceError{Line: line + 1, Err: err}
	}
	return t, nil
}
