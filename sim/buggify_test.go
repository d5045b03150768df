package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func newTestBuggifier(t *testing.T, seed uint64, cfg BuggifyConfig) *Buggifier {
	t.Helper()
	b, err := NewBuggifier(rand.New(rand.NewPCG(seed, 0xb066)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fireSequence reaches 20 sites round-robin and records what fired.
func fireSequence(t *testing.T, seed uint64, cfg BuggifyConfig) []string {
	var fired []string
	cfg.OnFire = func(site string) { fired = append(fired, site) }
	b := newTestBuggifier(t, seed, cfg)
	var got []string
	for i := range 2000 {
		site := fmt.Sprintf("site-%d", i%20)
		if b.Fire(site) {
			got = append(got, site)
		}
	}
	if !slices.Equal(got, fired) {
		t.Fatalf("OnFire saw %d firings, Fire returned true %d times", len(fired), len(got))
	}
	return got
}

func TestBuggifyDeterminism(t *testing.T) {
	a, b := fireSequence(t, 42, BuggifyConfig{}), fireSequence(t, 42, BuggifyConfig{})
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different firing sequences")
	}
	if len(a) == 0 {
		t.Fatal("nothing fired in 2000 reaches of 20 sites")
	}
	if c := fireSequence(t, 43, BuggifyConfig{}); slices.Equal(a, c) {
		t.Error("different seeds, identical firing sequences")
	}
}

func TestBuggifyDisabledNeverFires(t *testing.T) {
	cfg := BuggifyConfig{Disabled: true, EnableProb: 1, FireProb: 1}
	if got := fireSequence(t, 1, cfg); len(got) != 0 {
		t.Fatalf("disabled buggifier fired %d times", len(got))
	}
	b := newTestBuggifier(t, 1, BuggifyConfig{EnableProb: 1, FireProb: 1})
	b.SetEnabled(false)
	if b.Fire("x") {
		t.Fatal("fired while switched off")
	}
	b.SetEnabled(true)
	if !b.Fire("x") {
		t.Fatal("did not fire when switched back on with probabilities 1")
	}
}

// TestBuggifyEnabledOncePerRun: a site's enablement is decided once and
// then holds for the whole run: a disabled site never fires, an enabled
// one fires at about FireProb; and about EnableProb of the sites are
// enabled.
func TestBuggifyEnabledOncePerRun(t *testing.T) {
	const sites, reaches = 400, 200
	b := newTestBuggifier(t, 7, BuggifyConfig{})
	for range reaches {
		for s := range sites {
			b.Fire(fmt.Sprintf("s%d", s))
		}
	}
	enabled, fired, enabledReaches := 0, 0, 0
	for _, s := range b.Sites() {
		if s.Reached != reaches {
			t.Fatalf("%s reached %d times, want %d", s.Name, s.Reached, reaches)
		}
		if !s.Enabled {
			if s.Fired != 0 {
				t.Fatalf("disabled site %s fired %d times", s.Name, s.Fired)
			}
			continue
		}
		enabled++
		enabledReaches += s.Reached
		fired += s.Fired
	}
	if p := float64(enabled) / sites; math.Abs(p-DefaultBuggifyProb) > 0.07 {
		t.Errorf("%.2f of sites enabled, want about %.2f", p, DefaultBuggifyProb)
	}
	if p := float64(fired) / float64(enabledReaches); math.Abs(p-DefaultBuggifyProb) > 0.03 {
		t.Errorf("enabled sites fired at %.3f, want about %.2f", p, DefaultBuggifyProb)
	}
	// Enablement does not depend on the order sites are first reached.
	c := newTestBuggifier(t, 7, BuggifyConfig{})
	for s := sites - 1; s >= 0; s-- {
		c.Fire(fmt.Sprintf("s%d", s))
	}
	for i, s := range c.Sites() {
		if s.Enabled != b.Sites()[i].Enabled {
			t.Fatalf("site %s enablement depends on reach order", s.Name)
		}
	}
}

func TestBuggifyConfigErrors(t *testing.T) {
	if _, err := NewBuggifier(nil, BuggifyConfig{}); err == nil {
		t.Error("nil rng accepted")
	}
	for _, cfg := range []BuggifyConfig{{EnableProb: 1.5}, {FireProb: -1}, {FireProb: math.NaN()}} {
		if _, err := NewBuggifier(rand.New(rand.NewPCG(1, 1)), cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}
