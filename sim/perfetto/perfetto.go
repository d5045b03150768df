// Package perfetto exports a simulation trace as Chrome trace-event JSON
// (the JSON Object Format), which ui.perfetto.dev and chrome://tracing
// open directly.
//
// Layout: one process per node, named after it, plus a "network" process
// first for events that belong to no node (faults). Each process has one
// thread track for its instants. Spans are async begin/end pairs ("b"/"e")
// on the process that started them, so overlapping spans need not nest:
//
//   - cat "msg": a message in flight, from its send (or duplication) to its
//     delivery or drop, on the sender;
//   - cat "http": an HTTP exchange, from the request's send to the
//     response's delivery on the client, matched by the addresses and
//     ports of the kernel's message attrs (the response goes back from the
//     request's destination to its source). An exchange that gets no
//     response ends at the last thing the trace says about it (the
//     request's or response's drop), since the client's timeout is not a
//     kernel event.
//
// Instants ("i"): faults (on "network"), crashes and restarts, drops,
// holds, BUGGIFY firings, action facts and notes, on their node.
//
// Timestamps are microseconds of virtual time, with nanosecond precision
// as three decimals. The output is a pure function of the trace: no map
// order, no wall clock.
package perfetto

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/model"
)

// Options adds context to an export.
type Options struct {
	// Meta is copied into the trace's "otherData" (world, seed, hash...).
	Meta map[string]string
}

// Marshal returns the export of tr.
func Marshal(tr *model.Trace, opts Options) ([]byte, error) {
	var b bytes.Buffer
	if err := Write(&b, tr, opts); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write writes the export of tr to w.
func Write(w io.Writer, tr *model.Trace, opts Options) error {
	c := newConverter(tr)
	for i := range tr.Events {
		c.add(&tr.Events[i])
	}
	c.finish()
	bw := bufio.NewWriter(w)
	bw.WriteString(`{"displayTimeUnit":"ms",`)
	if len(opts.Meta) > 0 {
		meta, err := json.Marshal(opts.Meta)
		if err != nil {
			return err
		}
		bw.WriteString(`"otherData":`)
		bw.Write(meta)
		bw.WriteByte(',')
	}
	bw.WriteString(`"traceEvents":[`)
	// One event per line, with "->" left readable (no HTML escaping).
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	for i := range c.out {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n")
		line.Reset()
		if err := enc.Encode(&c.out[i]); err != nil {
			return err
		}
		bw.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

// event is one trace event in the Chrome format.
type event struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   micros         `json:"ts"`
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	ID   string         `json:"id,omitempty"`
	S    string         `json:"s,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// micros is a virtual time written as microseconds with up to three
// decimals (the nanoseconds), exactly, without float rounding.
type micros time.Duration

func (m micros) MarshalJSON() ([]byte, error) {
	ns := int64(m)
	b := strconv.AppendInt(nil, ns/1000, 10)
	if r := ns % 1000; r != 0 {
		frac := strconv.AppendInt(nil, 1000+r, 10)[1:] // zero-padded to 3
		b = append(b, '.')
		b = append(b, bytes.TrimRight(frac, "0")...)
	}
	return b, nil
}

// tid is the one thread of every process.
const tid = 1

// networkTrack is the display name of the process for events without a
// node; internally that process is keyed by the empty node name.
const networkTrack = "network"

// nodeNames returns the processes to create: "" (the network) first, then
// every node named in the trace, sorted.
func nodeNames(tr *model.Trace) []string {
	seen := map[string]bool{}
	for i := range tr.Events {
		e := &tr.Events[i]
		if e.Node != "" {
			seen[e.Node] = true
		}
		for _, k := range []string{"from", "to"} {
			if n := e.Attrs[k]; n != "" && isMsg(e.Kind) {
				seen[n] = true
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return append([]string{""}, names...)
}

func isMsg(k model.EventKind) bool {
	switch k {
	case model.Send, model.Deliver, model.Drop, model.Dup, model.Hold:
		return true
	}
	return false
}

func termList(args []model.Term) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}
