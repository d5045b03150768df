package world_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/pingworld"
	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/world"
)

// judged is the ping world's shape with a verdict that looks at the plan
// alone: it fails while the plan crashes a server and sends at least
// three pings per client, so a shrunk plan must keep exactly that.
type judged struct {
	pingworld.World
	runs *int
}

func (j judged) Run(seed uint64, p *plan.Plan, opts world.Options) (*world.Outcome, error) {
	*j.runs++
	if err := world.CheckBugs(j, opts); err != nil {
		return nil, err
	}
	c, err := pingworld.ConfigFrom(p)
	if err != nil {
		return nil, err
	}
	nodes, _ := pingworld.Shape.Nodes(p)
	for i, f := range p.Faults {
		if f.Node != "" && !slices.Contains(nodes, f.Node) {
			return nil, &plan.Error{Field: fmt.Sprintf("faults[%d].node", i), Err: errors.New("unknown node")}
		}
	}
	o := &world.Outcome{Trace: &model.Trace{}, Figures: world.Figures{{Name: "pings", Value: float64(c.Pings)}}}
	for _, f := range p.Faults {
		if f.Kind == "crash" && c.Pings >= 3 {
			o.Violations = append(o.Violations, world.Violation{Property: "crash-free", Message: "crashed " + f.Node})
			break
		}
	}
	return o, nil
}

func TestShrinkKeepsOnlyWhatFails(t *testing.T) {
	p := world.MustPlan(`{"knobs": {"clients": 3, "servers": 3, "pings": 9, "interval": "250ms", "timeout": "900ms"},
	  "network": {"default": {"loss": 0.1}}, "buggify": {"enabled": true, "enable_prob": 0.5, "fire_prob": 0.5},
	  "faults": [
	    {"at": "1s", "kind": "partition", "from": ["client-1"], "to": ["server-1"], "for": "1s"},
	    {"at": "2s", "kind": "crash", "node": "server-2", "for": "1s"},
	    {"at": "3s", "kind": "isolate", "node": "server-3", "for": "1s"}]}`)
	runs := 0
	s, err := world.Shrink(judged{runs: &runs}, 5, p, world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(s.Plan)
	// Every knob at the bottom of its range but pings, which the failure
	// needs at 3; servers stays at 2 because the crash names server-2.
	want := `{"world":"ping","seed":5,"knobs":{"clients":1,"interval":"50ms","pings":3,"servers":2,"timeout":"200ms"},` +
		`"faults":[{"at":"2s","kind":"crash","node":"server-2","for":"1s"}]}`
	if string(got) != want {
		t.Fatalf("shrunk to\n%s\nwant\n%s", got, want)
	}
	if s.Outcome.Pass() || s.Runs != runs || s.Outcome.Why() != "crash-free: crashed server-2" {
		t.Fatalf("outcome %+v after %d runs (counted %d)", s.Outcome, s.Runs, runs)
	}
	if faults, ops := world.Size(judged{runs: &runs}, s.Plan); faults != 1 || ops != 3 {
		t.Fatalf("size %d faults %d ops", faults, ops)
	}
	// A passing plan comes back as it is.
	pass, err := world.Shrink(judged{runs: &runs}, 5, world.MustPlan(`{"knobs": {"pings": 2}}`), world.Options{})
	if err != nil || !pass.Outcome.Pass() || pass.Runs != 1 || string(pass.Plan.Knobs["pings"]) != "2" {
		t.Fatalf("passing plan: %+v %v", pass, err)
	}
}

func TestShrinkIsDeterministic(t *testing.T) {
	w := judged{runs: new(int)}
	for i := range uint64(20) {
		p := world.HuntPlan(w, i)
		p.Faults = append(p.Faults, plan.FaultSpec{Kind: "crash", Node: "server-1"})
		p.Knobs["pings"] = json.RawMessage("7")
		a, err1 := world.Shrink(w, *p.Seed, p, world.Options{})
		b, err2 := world.Shrink(w, *p.Seed, p, world.Options{})
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		ja, _ := json.Marshal(a.Plan)
		jb, _ := json.Marshal(b.Plan)
		if string(ja) != string(jb) || len(a.Plan.Faults) != 1 {
			t.Fatalf("plan %d shrank to\n%s\nand\n%s", i, ja, jb)
		}
	}
}

func TestCheckBugs(t *testing.T) {
	err := world.CheckBugs(pingworld.World{}, world.Options{Bugs: []string{"x"}})
	if _, ok := errors.AsType[*plan.Error](err); !ok || !strings.Contains(err.Error(), "world ping has no seeded bugs") {
		t.Fatalf("ping with a bug: %v", err)
	}
	cat := catalog{}
	for opts, want := range map[string]string{
		"":      "",
		"a":     "",
		"a,b":   "",
		"c":     `unknown bug "c" for world ping (known: a, b)`,
		"a,b,a": `bug "a" named twice`,
	} {
		var o world.Options
		if opts != "" {
			o.Bugs = strings.Split(opts, ",")
		}
		err := world.CheckBugs(cat, o)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", opts, err, want)
		}
	}
}

type catalog struct{ pingworld.World }

func (catalog) Bugs() []world.Bug { return []world.Bug{{Name: "a"}, {Name: "b"}} }

func TestFiguresKeepTheirOrder(t *testing.T) {
	fs := world.Figures{{Name: "sent", Value: 150}, {Name: "answered", Value: 141}, {Name: "ratio", Value: 0.94}}
	if got := fs.String(); got != "sent=150 answered=141 ratio=0.94" {
		t.Fatal(got)
	}
	b, err := json.Marshal(fs)
	if err != nil || string(b) != `{"sent":150,"answered":141,"ratio":0.94}` {
		t.Fatalf("%s %v", b, err)
	}
	if v, ok := fs.Get("answered"); !ok || v != 141 {
		t.Fatal(v, ok)
	}
}

func TestFind(t *testing.T) {
	ws := []world.World{pingworld.World{}}
	if w, err := world.Find(ws, "ping"); err != nil || w.Name() != "ping" {
		t.Fatal(w, err)
	}
	if _, err := world.Find(ws, "mail"); !errors.Is(err, world.ErrUnknown) || !strings.Contains(err.Error(), "(known: ping)") {
		t.Fatal(err)
	}
}

// The ping world's default plan and seed run to a pass, twice the same.
func TestPingWorldRunsThroughTheInterface(t *testing.T) {
	var w world.World = pingworld.World{}
	a, err := w.Run(w.DefaultSeed(), w.DefaultPlan(), world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := w.Run(w.DefaultSeed(), w.DefaultPlan(), world.Options{})
	if !a.Pass() || a.Trace.HashHex() != b.Trace.HashHex() || a.Figures.String() != b.Figures.String() {
		t.Fatalf("%v %s %s", a.Violations, a.Trace.HashHex(), b.Trace.HashHex())
	}
}
