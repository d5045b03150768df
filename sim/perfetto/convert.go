package perfetto

// This file turns trace events into Chrome trace events: it keeps the
// spans still open (messages in flight, HTTP exchanges awaiting their
// response) in creation order, so closing the leftovers at the end is
// deterministic too.

import (
	"sort"
	"strconv"

	"github.com/edgelab/edgelab/model"
)

type converter struct {
	pid   map[string]int
	out   []event
	nmeta int
	last  micros

	msgs    map[string][]*span // message id → open copies, oldest first
	copies  map[string]int     // message id → copies begun (for unique span ids)
	open    []*span            // every message span begun, in order
	ex      map[exKey]*exchange
	exOrder []*exchange
}

type span struct {
	cat, name, id string
	pid           int
	closed        bool
}

// exKey identifies an HTTP exchange by the request's source and
// destination address:port; the response travels the other way.
type exKey struct{ client, server string }

type exchange struct {
	span
	last   micros
	result string
}

func newConverter(tr *model.Trace) *converter {
	c := &converter{
		pid:    map[string]int{},
		msgs:   map[string][]*span{},
		copies: map[string]int{},
		ex:     map[exKey]*exchange{},
	}
	for i, n := range nodeNames(tr) {
		pid := i + 1
		c.pid[n] = pid
		display := n
		if n == "" {
			display = networkTrack
		}
		c.meta("process_name", pid, map[string]any{"name": display})
		c.meta("process_sort_index", pid, map[string]any{"sort_index": i})
		c.meta("thread_name", pid, map[string]any{"name": display})
	}
	c.nmeta = len(c.out)
	return c
}

func (c *converter) meta(name string, pid int, args map[string]any) {
	c.out = append(c.out, event{Name: name, Ph: "M", Pid: pid, Tid: tid, Args: args})
}

func (c *converter) instant(cat, name string, pid int, ts micros, scope string, args map[string]any) {
	c.out = append(c.out, event{Name: name, Cat: cat, Ph: "i", Ts: ts, Pid: pid, Tid: tid, S: scope, Args: args})
}

func (c *converter) begin(sp *span, ts micros, args map[string]any) {
	c.out = append(c.out, event{Name: sp.name, Cat: sp.cat, Ph: "b", Ts: ts, Pid: sp.pid, Tid: tid, ID: sp.id, Args: args})
}

func (c *converter) end(sp *span, ts micros, result string) {
	sp.closed = true
	c.out = append(c.out, event{Name: sp.name, Cat: sp.cat, Ph: "e", Ts: ts, Pid: sp.pid, Tid: tid, ID: sp.id,
		Args: map[string]any{"result": result}})
}

func attrArgs(e *model.Event) map[string]any {
	if len(e.Attrs) == 0 {
		return nil
	}
	m := make(map[string]any, len(e.Attrs))
	for k, v := range e.Attrs {
		m[k] = v
	}
	return m
}

func (c *converter) add(e *model.Event) {
	ts := micros(e.At)
	c.last = max(c.last, ts)
	pid := c.pid[e.Node]
	switch e.Kind {
	case model.Send, model.Dup:
		c.beginMsg(e, ts)
		if e.Kind == model.Send && e.Name == "http-request" {
			c.beginExchange(e, ts)
		}
	case model.Deliver:
		c.endMsg(e, ts, "delivered")
		c.exchangeSeen(e, ts, "")
	case model.Drop:
		reason := e.Attrs["reason"]
		c.endMsg(e, ts, "dropped: "+reason)
		c.instant("drop", "drop: "+reason, pid, ts, "t", attrArgs(e))
		c.exchangeSeen(e, ts, reason)
	case model.Hold:
		c.instant("net", "hold: "+e.Attrs["reason"], pid, ts, "t", attrArgs(e))
	case model.Crash, model.Restart:
		c.instant("node", e.Name, pid, ts, "p", attrArgs(e))
	case model.Fact:
		args := attrArgs(e)
		if len(e.Args) > 0 {
			if args == nil {
				args = map[string]any{}
			}
			args["args"] = termList(e.Args)
		}
		c.instant("fact", e.Name, pid, ts, "t", args)
	default: // fault, buggify, note, span and kinds yet to come
		c.instant(string(e.Kind), e.Name, pid, ts, "t", attrArgs(e))
	}
}

func (c *converter) beginMsg(e *model.Event, ts micros) {
	id := e.Attrs["msg"]
	k := c.copies[id]
	c.copies[id] = k + 1
	sid := "m" + id
	if k > 0 {
		sid += "." + strconv.Itoa(k) // a duplicate: its own span
	}
	sp := &span{cat: "msg", name: e.Name, id: sid, pid: c.pid[e.Attrs["from"]]}
	c.msgs[id] = append(c.msgs[id], sp)
	c.open = append(c.open, sp)
	args := attrArgs(e)
	if e.Kind == model.Dup {
		if args == nil {
			args = map[string]any{}
		}
		args["dup"] = "true"
	}
	c.begin(sp, ts, args)
}

// endMsg closes the oldest open copy of the message (copies are
// indistinguishable in the trace).
func (c *converter) endMsg(e *model.Event, ts micros, result string) {
	id := e.Attrs["msg"]
	q := c.msgs[id]
	if len(q) == 0 {
		return // a trace that starts mid-flight
	}
	c.msgs[id] = q[1:]
	c.end(q[0], ts, result)
}

func (c *converter) beginExchange(e *model.Event, ts micros) {
	key := exKey{client: e.Attrs["src"], server: e.Attrs["dst"]}
	if old := c.ex[key]; old != nil && !old.closed {
		// The port was reused: the old exchange is long over.
		c.end(&old.span, old.last, old.result)
	}
	x := &exchange{
		span:   span{cat: "http", name: "HTTP " + e.Attrs["to"], id: "x" + e.Attrs["msg"], pid: c.pid[e.Attrs["from"]]},
		last:   ts,
		result: "no response",
	}
	c.ex[key] = x
	c.exOrder = append(c.exOrder, x)
	c.begin(&x.span, ts, map[string]any{
		"client": e.Attrs["from"], "server": e.Attrs["to"],
		"src": e.Attrs["src"], "dst": e.Attrs["dst"], "request": e.Attrs["msg"],
	})
}

// exchangeSeen updates the exchange an HTTP message belongs to: a
// delivered response ends it; anything else is the latest news of it.
func (c *converter) exchangeSeen(e *model.Event, ts micros, dropReason string) {
	var key exKey
	switch e.Name {
	case "http-request":
		key = exKey{client: e.Attrs["src"], server: e.Attrs["dst"]}
	case "http-response":
		key = exKey{client: e.Attrs["dst"], server: e.Attrs["src"]}
	default:
		return
	}
	x := c.ex[key]
	if x == nil || x.closed {
		return
	}
	x.last = ts
	switch {
	case e.Name == "http-response" && e.Kind == model.Deliver:
		c.out = append(c.out, event{Name: x.name, Cat: x.cat, Ph: "e", Ts: ts, Pid: x.pid, Tid: tid, ID: x.id,
			Args: map[string]any{"result": "answered", "response": e.Attrs["msg"]}})
		x.closed = true
	case dropReason != "":
		x.result = e.Name + " dropped: " + dropReason
	}
}

// finish closes what is still open and orders the events by time,
// metadata first; the sort is stable, so equal times keep trace order.
func (c *converter) finish() {
	for _, sp := range c.open {
		if !sp.closed {
			c.end(sp, c.last, "in flight at end of trace")
		}
	}
	for _, x := range c.exOrder {
		if !x.closed {
			c.end(&x.span, x.last, x.result)
		}
	}
	body := c.out[c.nmeta:]
	sort.SliceStable(body, func(i, j int) bool { return body[i].Ts < body[j].Ts })
}
