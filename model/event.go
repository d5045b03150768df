package model

import (
	"strings"
	"time"
)

// EventKind separates what the simulator observed (a message sent, a node
// crashed) from what a service declared (an action fact of the theory).
type EventKind string

// The event kinds. Fact is a service's action fact; all the others are
// recorded by the simulator kernel.
const (
	Fact    EventKind = "fact"
	Send    EventKind = "send"
	Deliver EventKind = "deliver"
	Drop    EventKind = "drop"
	Dup     EventKind = "dup"
	Hold    EventKind = "hold"
	Crash   EventKind = "crash"
	Restart EventKind = "restart"
	Fault   EventKind = "fault"
	Buggify EventKind = "buggify"
	Span    EventKind = "span"
	Note    EventKind = "note"
)

// Event is one line of a trace: at virtual time At, on node Node, something
// of kind Kind named Name happened. For a Fact, Name is the action fact's
// name and Args its symbolic arguments. Attrs carries concrete metadata
// (addresses, byte counts, message ids); encoding/json writes map keys in
// sorted order, so Attrs never makes a trace nondeterministic.
type Event struct {
	Seq   uint64            `json:"seq"`
	At    time.Duration     `json:"at"`
	Node  string            `json:"node"`
	Kind  EventKind         `json:"kind"`
	Name  string            `json:"name"`
	Args  []Term            `json:"args,omitempty"`
	Attrs map[string]string `json:"attrs,omitempty"`
}

// String renders e for humans: "12.5ms relay Fact RelayForward(<$C1, ...>)".
func (e Event) String() string {
	var b strings.Builder
	b.WriteString(e.At.String())
	b.WriteByte(' ')
	b.WriteString(e.Node)
	b.WriteByte(' ')
	b.WriteString(string(e.Kind))
	b.WriteByte(' ')
	b.WriteString(e.Name)
	if len(e.Args) > 0 {
		b.WriteByte('(')
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(a.String())
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Recorder is how service code declares action facts. The simulator fills in
// time, node and sequence number; env.Real() can log or discard them.
type Recorder interface {
	Record(name string, args ...Term)
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(name string, args ...Term)

// Record calls f.
func (f RecorderFunc) Record(name string, args ...Term) { f(name, args...) }

// Discard is a Recorder that drops every fact.
var Discard Recorder = RecorderFunc(func(string, ...Term) {})
