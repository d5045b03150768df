package plan

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParsePlan: a plan either parses to one that re-encodes and parses
// again to the same JSON, or is refused with a *Error; never a panic.
func FuzzParsePlan(f *testing.F) {
	f.Add([]byte(`{"world":"ping","seed":1,"knobs":{"pings":3},"faults":[{"at":"1s","kind":"partition","from":["a"],"to":["b"],"for":"2s"}]}`))
	f.Add([]byte(`{"world":"ping","network":{"default":{"latency":{"dist":"lognormal","min":"1ms","median":"4ms","sigma":0.5},"loss":0.01}}}`))
	f.Add([]byte(`{"world":"x","nodes":{"dns":{"zone":[{"name":"a.example.","type":"A","ttl":60,"value":"10.0.0.1"}]}},"heal_at":"3s"}`))
	f.Add([]byte(`{"faults":[{"at":"-1s","kind":"crash"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("accepted plan does not encode: %v", err)
		}
		p2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-encoded plan refused: %v\n%s", err, out)
		}
		out2, _ := json.Marshal(p2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("plan not stable across a round trip:\n%s\n%s", out, out2)
		}
	})
}
