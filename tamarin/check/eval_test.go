package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// A small theory to exercise the evaluator and the replay on their own.
const counterSrc = `theory Counter
begin
builtins: symmetric-encryption
rule Start: [ Fr(~k) ] --> [ !Key($A, ~k) ]
rule Send: [ !Key(A, k), Fr(~m) ] --[ Sent(A, ~m), Eq(A, A) ]-> [ Out(senc(~m, k)), Box(A, ~m) ]
rule Open: [ Box(A, m) ] --[ Opened(A, m) ]-> [ ]
rule Leak: [ !Key(A, k) ] --[ RevealKey(A) ]-> [ Out(k) ]
restriction eq: "All x y #i. Eq(x, y) @ #i ==> x = y"
lemma opened_after_sent: "All A m #j. Opened(A, m) @ #j ==> Ex #i. Sent(A, m) @ #i & #i < #j"
lemma secret: "All A m #i #j. Sent(A, m) @ #i & K(m) @ #j ==> Ex #r. RevealKey(A) @ #r & #r < #j"
lemma once: "All A m #i #j. Sent(A, m) @ #i & Sent(A, m) @ #j ==> #i = #j"
lemma someone_opened: exists-trace "Ex A m #i. Opened(A, m) @ #i"
lemma nobody_sends_twice_unguarded: "All A #i #j. Sent(A, A) @ #i ==> last(#j)"
lemma free_time: "All A m. Sent(A, m) @ #i ==> F"
lemma sub: "All A m #i. Sent(A, m) @ #i ==> not (m << A)"
lemma nobody_knows_both: "All A B m n #i #j #k #l. Sent(A, m) @ #i & Sent(B, n) @ #j & not (A = B) & K(m) @ #k & K(n) @ #l ==> F"
end
`

func counterTrace(open bool) *model.Trace {
	var tr model.Trace
	m := func(s string) model.Term { return model.NewFresh("m").WithDigest([]byte(s)) }
	tr.Append(model.Event{Node: "alice", Kind: model.Fact, Name: "Sent", Args: []model.Term{model.NewPub("alice"), m("1")}})
	tr.Append(model.Event{Node: "bob", Kind: model.Fact, Name: "Sent", Args: []model.Term{model.NewPub("bob"), m("2")}})
	if open {
		tr.Append(model.Event{Node: "alice", Kind: model.Fact, Name: "Opened", Args: []model.Term{model.NewPub("alice"), m("1")}})
	}
	return &tr
}

func counterConfig() *Config {
	return &Config{Vocabulary: []string{"Sent", "Opened"}, Parties: map[string]PartySpec{
		"alice": {Nodes: []string{"alice"}, Network: true, Compromise: []string{"RevealKey"}},
		"bob":   {Nodes: []string{"bob"}},
		"carol": {Nodes: []string{"al*"}},
		"net":   {Network: true},
	}}
}

func TestEvaluatorOnASmallTheory(t *testing.T) {
	th := parse(t, counterSrc)
	run, err := New(th, counterTrace(true), Options{Config: counterConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if c := run.Conformance(); !c.OK || c.Replayed != 3 || c.Silent != 2 {
		t.Fatalf("conformance %+v", c)
	}
	want := map[string]map[string]Verdict{
		"net": {"opened_after_sent": Holds, "secret": Holds, "once": Holds, "someone_opened": Witnessed,
			"nobody_sends_twice_unguarded": Holds, "free_time": NotApplicable, "sub": Holds},
		// alice's key leaks (at a compromise time point, before the
		// messages): K(m) holds for her message, and the reveal came first.
		"alice": {"secret": Holds},
		// bob sees his own message; nothing of his is compromised.
		"bob": {"secret": Violated},
	}
	for adv, lemmas := range want {
		rep, err := run.Evaluate([]string{adv})
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range lemmas {
			l := lemma(t, rep, name)
			if l.Verdict != v {
				t.Errorf("%s: %s: %s %s, want %s", adv, name, l.Verdict, l.Reason, v)
			}
		}
	}
	rep, _ := run.Evaluate([]string{"bob"})
	w := witnessMap(lemma(t, rep, "secret").Witness)
	if w["A"] != "$bob" || !strings.Contains(w["#i"], "event 1 Sent($bob") {
		t.Errorf("witness %v", w)
	}
	if l := lemma(t, rep, "free_time"); !strings.Contains(l.Reason, "#i is not quantified") {
		t.Errorf("free_time: %q", l.Reason)
	}
	// A coalition knows what either knows: carol sees alice's message,
	// bob his own; only together do they know both.
	for adv, v := range map[string]Verdict{"carol": Holds, "bob": Holds, "carol+bob": Violated} {
		rep, err = run.Evaluate(strings.Split(adv, "+"))
		if err != nil {
			t.Fatal(err)
		}
		if l := lemma(t, rep, "nobody_knows_both"); l.Verdict != v {
			t.Errorf("%s: nobody_knows_both %s, want %s", adv, l.Verdict, v)
		}
	}
	if _, err := run.Evaluate([]string{"mallory"}); err == nil || !strings.Contains(err.Error(), "unknown party") {
		t.Errorf("unknown party: %v", err)
	}
	// Without the Opened fact the exists-trace lemma is not witnessed.
	run, _ = New(th, counterTrace(false), Options{Config: counterConfig()})
	rep, _ = run.Evaluate([]string{"net"})
	if l := lemma(t, rep, "someone_opened"); l.Verdict != NotApplicable || !strings.Contains(l.Reason, "not witnessed") {
		t.Errorf("someone_opened: %s %s", l.Verdict, l.Reason)
	}
}

func TestRestrictionsAndBudget(t *testing.T) {
	th := parse(t, strings.Replace(counterSrc, "Eq(A, A)", "Eq(A, ~m)", 1))
	run, err := New(th, counterTrace(true), Options{Config: counterConfig()})
	if err != nil {
		t.Fatal(err)
	}
	c := run.Conformance()
	if c.OK || len(c.Restrictions) != 1 || !strings.HasPrefix(c.Restrictions[0], "restriction eq violated: x = $alice") {
		t.Fatalf("conformance %+v", c)
	}
	// An unguarded quantifier over terms runs out of budget.
	th = parse(t, strings.Replace(counterSrc, `lemma sub:`, `lemma unguarded: "All x y z. x = x | y = z"
lemma sub:`, 1))
	run, _ = New(th, counterTrace(true), Options{Config: counterConfig(), MaxSteps: 20})
	rep, _ := run.Evaluate([]string{"net"})
	if l := lemma(t, rep, "unguarded"); l.Verdict != NotApplicable || !strings.Contains(l.Reason, "budget") {
		t.Errorf("unguarded: %s %s", l.Verdict, l.Reason)
	}
}

func TestCompromiseFactMustExist(t *testing.T) {
	cfg := counterConfig()
	cfg.Parties["bob"] = PartySpec{Compromise: []string{"RevealNothing"}}
	_, err := New(parse(t, counterSrc), counterTrace(true), Options{Config: cfg})
	if err == nil || !strings.Contains(err.Error(), "compromise fact RevealNothing is not an action") {
		t.Fatal(err)
	}
}

func TestPartyTablesSitBesideTheirTheories(t *testing.T) {
	// The fixture's table is testdata/ohttp_fixture.parties.json.
	cfg, err := ConfigFor(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.PartyNames(), ","); got != "gateway,network,relay,target" || cfg.Parties["relay"].Compromise[0] != "RevealRelay" {
		t.Fatalf("fixture parties %v", cfg.Parties)
	}
	// Every embedded theory has its own, and it names real compromise
	// facts (New checks them against the rules).
	for _, emb := range tamarin.Theories() {
		th, err := emb.Parse()
		if err != nil {
			t.Fatal(err)
		}
		if emb.Parties == nil {
			t.Errorf("%s has no party table beside it", emb.File)
			continue
		}
		cfg, err := ConfigFor(th)
		if err != nil || len(cfg.Parties) < 2 {
			t.Errorf("%s: parties %v, %v", emb.Name, cfg.Parties, err)
		}
		if _, err := New(th, &model.Trace{}, Options{Config: &cfg}); err != nil {
			t.Errorf("%s: %v", emb.Name, err)
		}
	}
	// A theory without a table gets the network alone: no party is
	// guessed from rule names.
	cfg, err = ConfigFor(parse(t, `theory Other begin
rule A: [ ] --[ RevealGatewayKey('g'), RevealRelay() ]-> [ ]
end`))
	if got := cfg.PartyNames(); err != nil || strings.Join(got, ",") != "network" || !cfg.Parties["network"].Wire {
		t.Errorf("parties %v, %v", got, err)
	}
	if _, err := ParseConfig([]byte(`{"parties": {"p": {"nodes": ["["]}}}`)); err == nil {
		t.Error("bad glob accepted")
	}
	if _, err := ParseConfig([]byte(`{"partys": {}}`)); err == nil {
		t.Error("unknown field accepted")
	}
	// A malformed table beside a theory file is an error, not a guess.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.spthy"), []byte("theory X begin\nend\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "x.parties.json"), []byte(`{"parties": [`), 0o644)
	src, _ := os.ReadFile(filepath.Join(dir, "x.spthy"))
	bad, err := spthy.Parse(src, spthy.Options{File: filepath.Join(dir, "x.spthy")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ConfigFor(bad); err == nil || !strings.Contains(err.Error(), "x.parties.json") {
		t.Errorf("malformed table: %v", err)
	}
}
