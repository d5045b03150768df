package model

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func genTerm(depth int) *rapid.Generator[Term] {
	return rapid.Custom(func(t *rapid.T) Term {
		name := rapid.StringMatching(`[a-zA-Z][a-zA-Z0-9_:.-]{0,8}`).Draw(t, "name")
		kinds := []TermKind{Const, Fresh, Pub}
		if depth > 0 {
			kinds = append(kinds, Func, Func)
		}
		k := rapid.SampledFrom(kinds).Draw(t, "kind")
		term := Term{Kind: k, Name: name}
		if k == Func {
			n := rapid.IntRange(0, 3).Draw(t, "arity")
			for i := 0; i < n; i++ {
				term.Args = append(term.Args, genTerm(depth-1).Draw(t, "arg"))
			}
		}
		if rapid.Bool().Draw(t, "digest") {
			term = term.WithDigest([]byte(rapid.String().Draw(t, "concrete")))
		}
		return term
	})
}

func genTrace() *rapid.Generator[*Trace] {
	return rapid.Custom(func(t *rapid.T) *Trace {
		tr := &Trace{}
		n := rapid.IntRange(0, 20).Draw(t, "events")
		at := time.Duration(0)
		for i := 0; i < n; i++ {
			at += time.Duration(rapid.Int64Range(0, int64(time.Second)).Draw(t, "dt"))
			e := Event{
				At:   at,
				Node: rapid.StringMatching(`[a-z]{1,6}-[0-9]`).Draw(t, "node"),
				Kind: rapid.SampledFrom([]EventKind{Fact, Send, Deliver, Drop, Crash}).Draw(t, "kind"),
				Name: rapid.String().Draw(t, "name"),
			}
			for j := rapid.IntRange(0, 3).Draw(t, "args"); j > 0; j-- {
				e.Args = append(e.Args, genTerm(2).Draw(t, "arg"))
			}
			if rapid.Bool().Draw(t, "hasAttrs") {
				e.Attrs = rapid.MapOfN(rapid.String(), rapid.String(), 1, 4).Draw(t, "attrs")
			}
			tr.Append(e)
		}
		return tr
	})
}

func TestNDJSONRoundTripsExactly(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tr := genTrace().Draw(t, "trace")
		b, err := tr.MarshalNDJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ReadNDJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("reading back: %v\n%s", err, b)
		}
		b2, err := back.MarshalNDJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, b2) {
			t.Fatalf("re-encoding differs:\n%s\n%s", b, b2)
		}
		if tr.HashHex() != back.HashHex() {
			t.Fatal("hash changed across a round trip")
		}
		if len(back.Events) != len(tr.Events) {
			t.Fatalf("got %d events, want %d", len(back.Events), len(tr.Events))
		}
		for i := range tr.Events {
			if !eventsEqual(tr.Events[i], back.Events[i]) {
				t.Fatalf("event %d: %s", i, cmp.Diff(tr.Events[i], back.Events[i]))
			}
		}
	})
}

func eventsEqual(a, b Event) bool {
	if a.Seq != b.Seq || a.At != b.At || a.Node != b.Node || a.Kind != b.Kind || a.Name != b.Name || len(a.Args) != len(b.Args) || len(a.Attrs) != len(b.Attrs) {
		return false
	}
	for i := range a.Args {
		if !a.Args[i].Equal(b.Args[i]) {
			return false
		}
	}
	for k, v := range a.Attrs {
		if b.Attrs[k] != v {
			return false
		}
	}
	return true
}

func TestHashMatchesNDJSONBytes(t *testing.T) {
	tr := &Trace{}
	tr.Append(Event{At: time.Millisecond, Node: "client-1", Kind: Fact, Name: "ClientSend",
		Args: []Term{NewPub("C1"), NewFresh("req").WithDigest([]byte("GET /"))}})
	tr.Append(Event{At: 2 * time.Millisecond, Node: "relay", Kind: Send, Name: "msg",
		Attrs: map[string]string{"to": "gateway", "from": "relay", "bytes": "120"}})
	b, err := tr.MarshalNDJSON()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(lines))
	}
	if !strings.HasPrefix(lines[0], `{"seq":0,"at":1000000,"node":"client-1","kind":"fact","name":"ClientSend","args":[{"pub":"C1"},{"fresh":"req","digest":"`) {
		t.Errorf("line 0 not in canonical field order: %s", lines[0])
	}
	if lines[1] != `{"seq":1,"at":2000000,"node":"relay","kind":"send","name":"msg","attrs":{"bytes":"120","from":"relay","to":"gateway"}}` {
		t.Errorf("line 1 = %s", lines[1])
	}
	var buf bytes.Buffer
	if err := tr.WriteNDJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), b) {
		t.Error("WriteNDJSON and MarshalNDJSON disagree")
	}
	if got, want := tr.HashHex(), sha256Hex(b); got != want {
		t.Errorf("HashHex = %s, want sha256 of the NDJSON bytes %s", got, want)
	}
}

func TestHashSeparatesTraces(t *testing.T) {
	a, b := &Trace{}, &Trace{}
	a.Append(Event{Node: "n", Kind: Fact, Name: "A"})
	b.Append(Event{Node: "n", Kind: Fact, Name: "B"})
	if a.HashHex() == b.HashHex() {
		t.Fatal("different traces hash the same")
	}
}

func TestReadNDJSONRejectsBadInput(t *testing.T) {
	tests := []struct {
		name, in, wantInErr string
	}{
		{"not json", "hello\n", "line 1"},
		{"unknown field", `{"seq":0,"at":0,"node":"n","kind":"fact","name":"X","extra":1}` + "\n", "unknown field"},
		{"blank line", `{"seq":0,"at":0,"node":"n","kind":"fact","name":"X"}` + "\n\n", "line 2: blank line"},
		{"seq gap", `{"seq":1,"at":0,"node":"n","kind":"fact","name":"X"}` + "\n", "sequence number 1, want 0"},
		{"no kind", `{"seq":0,"at":0,"node":"n","name":"X"}` + "\n", "without a kind"},
		{"two terms kinds", `{"seq":0,"at":0,"node":"n","kind":"fact","name":"X","args":[{"pub":"a","fresh":"b"}]}` + "\n", "exactly one"},
		{"null term", `{"seq":0,"at":0,"node":"n","kind":"fact","name":"X","args":[null]}` + "\n", "malformed term"},
		{"args on a name", `{"seq":0,"at":0,"node":"n","kind":"fact","name":"X","args":[{"pub":"a","args":[]}]}` + "\n", "has arguments"},
		{"two values", `{"seq":0,"at":0,"node":"n","kind":"fact","name":"X"} {}` + "\n", "more than one value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadNDJSON(strings.NewReader(tt.in))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrBadTrace) {
				t.Errorf("error %v does not wrap ErrBadTrace", err)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantInErr)
			}
		})
	}
}

func FuzzReadNDJSON(f *testing.F) {
	tr := &Trace{}
	tr.Append(Event{Node: "n", Kind: Fact, Name: "F", Args: []Term{Pair(NewPub("A"), NewFresh("x"), Apply("h", NewConst("c")))}})
	tr.Append(Event{At: 5, Node: "m", Kind: Send, Attrs: map[string]string{"to": "n"}})
	b, _ := tr.MarshalNDJSON()
	f.Add(b)
	f.Add([]byte(`{"seq":0,"at":0,"node":"n","kind":"fact","name":"X","args":[{"fn":"f","args":[{"fn":"g"}]}]}` + "\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		tr, err := ReadNDJSON(bytes.NewReader(in))
		if err != nil {
			return
		}
		out, err := tr.MarshalNDJSON()
		if err != nil {
			t.Fatalf("accepted trace does not encode: %v", err)
		}
		back, err := ReadNDJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("re-encoded trace does not parse: %v\n%s", err, out)
		}
		out2, _ := back.MarshalNDJSON()
		if !bytes.Equal(out, out2) {
			t.Fatalf("canonical form not stable:\n%s\n%s", out, out2)
		}
	})
}
