package perfetto_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/perfetto"
	"github.com/edgelab/edgelab/sim/pingworld"
	"github.com/edgelab/edgelab/sim/plan"
)

type ev struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"`
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	ID   string         `json:"id"`
	S    string         `json:"s"`
	Args map[string]any `json:"args"`
}

type doc struct {
	TraceEvents     []ev              `json:"traceEvents"`
	DisplayTimeUnit string            `json:"displayTimeUnit"`
	OtherData       map[string]string `json:"otherData"`
}

func decode(t *testing.T, b []byte) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	return d
}

func pingTrace(t *testing.T, seed uint64) (*pingworld.Result, *model.Trace) {
	t.Helper()
	p, err := plan.Parse([]byte(pingworld.DefaultPlan))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pingworld.Run(seed, p)
	if err != nil {
		t.Fatal(err)
	}
	return r, r.Trace
}

func TestExportOfAFaultyRunIsValid(t *testing.T) {
	r, tr := pingTrace(t, 1)
	b, err := perfetto.Marshal(tr, perfetto.Options{Meta: map[string]string{"world": "ping", "trace_sha256": tr.HashHex()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := perfetto.Validate(b); err != nil {
		t.Fatal(err)
	}
	d := decode(t, b)
	if d.DisplayTimeUnit != "ms" || d.OtherData["world"] != "ping" {
		t.Fatalf("header: %q %v", d.DisplayTimeUnit, d.OtherData)
	}
	// One named process per node, the network first.
	procs := map[int]string{}
	for _, e := range d.TraceEvents {
		if e.Ph == "M" && e.Name == "process_name" {
			procs[e.Pid] = e.Args["name"].(string)
		}
	}
	if procs[1] != "network" || len(procs) != 1+r.Config.Clients+r.Config.Servers {
		t.Fatalf("processes %v", procs)
	}
	// Timestamps never go backwards after the metadata.
	last := -1.0
	counts := map[string]int{}
	for _, e := range d.TraceEvents {
		if e.Ph == "M" {
			continue
		}
		if e.Ts < last {
			t.Fatalf("ts %v after %v", e.Ts, last)
		}
		last = e.Ts
		counts[e.Ph+"/"+e.Cat]++
		if e.Ph == "e" && e.Cat == "http" && e.Args["result"] == "answered" {
			counts["answered"]++
		}
	}
	sends := 0
	for _, e := range tr.Events {
		if e.Kind == model.Send && e.Name == "http-request" {
			sends++
		}
	}
	if counts["b/http"] != sends || counts["e/http"] != sends {
		t.Fatalf("%d http-request sends, %d exchange begins, %d ends", sends, counts["b/http"], counts["e/http"])
	}
	if counts["answered"] != r.Answered {
		t.Fatalf("%d answered exchanges, world says %d pings answered", counts["answered"], r.Answered)
	}
	for _, k := range []string{"i/fault", "i/drop", "i/node", "i/fact", "b/msg", "i/net"} {
		if counts[k] == 0 {
			t.Errorf("no %s events in a run with faults: %v", k, counts)
		}
	}
}

func TestExportIsDeterministic(t *testing.T) {
	_, a := pingTrace(t, 5)
	_, b := pingTrace(t, 5)
	ba, _ := perfetto.Marshal(a, perfetto.Options{})
	bb, _ := perfetto.Marshal(b, perfetto.Options{})
	again, _ := perfetto.Marshal(a, perfetto.Options{})
	if !bytes.Equal(ba, bb) || !bytes.Equal(ba, again) {
		t.Fatal("same seed, different export")
	}
}

// TestExportSpans follows one message of each fate through a small trace.
func TestExportSpans(t *testing.T) {
	ms := time.Millisecond
	msg := func(at time.Duration, kind model.EventKind, node, name, id, from, to, src, dst, reason string) model.Event {
		a := map[string]string{"msg": id, "from": from, "to": to, "src": src, "dst": dst, "bytes": "10"}
		if reason != "" {
			a["reason"] = reason
		}
		return model.Event{At: at, Kind: kind, Node: node, Name: name, Attrs: a}
	}
	c, s := "10.0.0.1:49152", "10.0.0.2:80"
	tr := &model.Trace{}
	for _, e := range []model.Event{
		msg(0, model.Send, "c", "http-request", "1", "c", "s", c, s, ""),
		msg(0, model.Dup, "c", "http-request", "1", "c", "s", c, s, ""),
		msg(1*ms, model.Deliver, "s", "http-request", "1", "c", "s", c, s, ""),
		{At: 1500 * time.Microsecond, Kind: model.Fault, Name: "partition", Attrs: map[string]string{"a": "c", "b": "s"}},
		msg(1501*time.Microsecond, model.Drop, "s", "http-request", "1", "c", "s", c, s, "partition"),
		msg(2*ms, model.Send, "s", "http-response", "2", "s", "c", s, c, ""),
		msg(3*ms, model.Deliver, "c", "http-response", "2", "s", "c", s, c, ""),
		msg(4*ms, model.Send, "c", "http-request", "3", "c", "s", "10.0.0.1:49153", s, ""),
		msg(4*ms, model.Drop, "c", "http-request", "3", "c", "s", "10.0.0.1:49153", s, "loss"),
		msg(5*ms, model.Send, "c", "datagram", "4", "c", "s", "10.0.0.1:7", "10.0.0.2:7", ""),
		{At: 6 * ms, Kind: model.Crash, Node: "s", Name: "crash"},
		{At: 6 * ms, Kind: model.Fact, Node: "c", Name: "Done", Args: []model.Term{model.NewConst("x")}},
	} {
		tr.Append(e)
	}
	b, err := perfetto.Marshal(tr, perfetto.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := perfetto.Validate(b); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	ends := map[string]string{}
	for _, e := range decode(t, b).TraceEvents {
		if e.Ph == "e" {
			ends[e.ID] = e.Args["result"].(string) + " @" + strconv.FormatFloat(e.Ts, 'f', -1, 64)
		}
	}
	want := map[string]string{
		"m1":   "delivered @1000",          // the original (oldest open copy)
		"m1.1": "dropped: partition @1501", // the duplicate
		"m2":   "delivered @3000",
		"x1":   "answered @3000",
		"m3":   "dropped: loss @4000",
		"x3":   "http-request dropped: loss @4000",
		"m4":   "in flight at end of trace @6000",
	}
	for id, w := range want {
		if ends[id] != w {
			t.Errorf("span %s ends %q, want %q", id, ends[id], w)
		}
	}
	if !bytes.Contains(b, []byte(`"ts":1500,`)) || !bytes.Contains(b, []byte(`"ts":1501,`)) {
		t.Errorf("microsecond timestamps not exact:\n%s", b)
	}
}

func TestExportKeepsNanoseconds(t *testing.T) {
	tr := &model.Trace{}
	tr.Append(model.Event{At: 1234567 * time.Nanosecond, Kind: model.Note, Node: "n", Name: "x"})
	tr.Append(model.Event{At: 1234500 * time.Nanosecond, Kind: model.Note, Node: "n", Name: "y"})
	b, _ := perfetto.Marshal(tr, perfetto.Options{})
	if !bytes.Contains(b, []byte(`"ts":1234.567`)) || !bytes.Contains(b, []byte(`"ts":1234.5,`)) {
		t.Fatalf("%s", b)
	}
}

func TestValidateRejects(t *testing.T) {
	named := `{"name":"process_name","ph":"M","ts":0,"pid":1,"tid":1,"args":{"name":"n"}},` +
		`{"name":"thread_name","ph":"M","ts":0,"pid":1,"tid":1,"args":{"name":"n"}}`
	for _, c := range []struct{ doc, want string }{
		{`[]`, "not a trace object"},
		{`{}`, "no traceEvents"},
		{`{"traceEvents":[],"displayTimeUnit":"s"}`, "displayTimeUnit"},
		{`{"traceEvents":[{"name":"x","ph":"Q","ts":0,"pid":1,"tid":1}]}`, "unknown ph"},
		{`{"traceEvents":[{"ph":"i","ts":0,"pid":1,"tid":1}]}`, "missing name"},
		{`{"traceEvents":[{"name":"x","ph":"i","pid":1,"tid":1}]}`, "missing or negative ts"},
		{`{"traceEvents":[{"name":"x","ph":"i","ts":-1,"pid":1,"tid":1}]}`, "missing or negative ts"},
		{`{"traceEvents":[{"name":"x","ph":"i","ts":0,"pid":"a","tid":1}]}`, "integers"},
		{`{"traceEvents":[{"name":"x","ph":"X","ts":0,"pid":1,"tid":1}]}`, "dur"},
		{`{"traceEvents":[{"name":"x","ph":"i","s":"q","ts":0,"pid":1,"tid":1}]}`, "scope"},
		{`{"traceEvents":[{"name":"x","ph":"b","ts":0,"pid":1,"tid":1,"id":"1"}]}`, "missing cat"},
		{`{"traceEvents":[{"name":"x","ph":"b","cat":"c","ts":0,"pid":1,"tid":1}]}`, "missing id"},
		{`{"traceEvents":[` + named + `,{"name":"x","cat":"c","ph":"e","ts":0,"pid":1,"tid":1,"id":"1"}]}`, "without a begin"},
		{`{"traceEvents":[` + named + `,{"name":"x","cat":"c","ph":"b","ts":5,"pid":1,"tid":1,"id":"1"},{"name":"x","cat":"c","ph":"e","ts":4,"pid":1,"tid":1,"id":"1"}]}`, "before its begin"},
		{`{"traceEvents":[` + named + `,{"name":"x","cat":"c","ph":"b","ts":0,"pid":1,"tid":1,"id":"1"}]}`, "never ends"},
		{`{"traceEvents":[` + named + `,{"name":"x","ph":"E","ts":0,"pid":1,"tid":1}]}`, "without a matching"},
		{`{"traceEvents":[{"name":"x","ph":"i","ts":0,"pid":2,"tid":1}]}`, "no process_name"},
		{`{"traceEvents":[{"name":"process_name","ph":"M","ts":0,"pid":1,"tid":1,"args":{"name":"n"}},{"name":"x","ph":"i","ts":0,"pid":1,"tid":1}]}`, "no thread_name"},
		{`{"traceEvents":[{"name":"process_name","ph":"M","ts":0,"pid":1,"tid":1,"args":{}}]}`, "args.name"},
		{`{"traceEvents":[{"name":"bogus_meta","ph":"M","ts":0,"pid":1,"tid":1,"args":{}}]}`, "unknown metadata"},
		{`{"traceEvents":[]} x`, "data after"},
	} {
		err := perfetto.Validate([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.doc, err, c.want)
		}
	}
	if err := perfetto.Validate([]byte(`{"traceEvents":[` + named + `,{"name":"x","ph":"i","ts":0,"pid":1,"tid":1}]}`)); err != nil {
		t.Errorf("valid doc rejected: %v", err)
	}
}
