package rules

import (
	"errors"
	"testing"

	"github.com/edgelab/edgelab/mail/addr"
	"github.com/edgelab/edgelab/mail/reply"
)

func testConfig() Config {
	return Config{
		Domains: []Domain{
			{Name: "ours.example", Subaddressing: true, Rules: []Rule{
				{ID: "r1", Local: "alice", Action: Action{Type: Forward, To: []string{"alice@mailbox.example", "unverified@mailbox.example"}}},
				{ID: "r2", Local: "spam", Action: Action{Type: Drop}},
				{ID: "r3", Local: "old", Action: Action{Type: Reject, Reason: "moved away"}},
				{ID: "r4", Local: "hook", Action: Action{Type: Worker, Worker: "w"}},
				{ID: "r5", Local: "ghost", Action: Action{Type: Forward, To: []string{"unverified@mailbox.example"}}},
				{ID: "r6", Local: "jörg", Action: Action{Type: Drop}},
			}},
			{Name: "bücher.example", CaseSensitive: true, Rules: []Rule{
				{ID: "b1", Local: "Info", Action: Action{Type: Drop}},
			}, CatchAll: &Action{Type: Forward, To: []string{"alice@mailbox.example"}}},
		},
		Destinations: []Destination{{Address: "alice@mailbox.example", Verified: true}, {Address: "unverified@mailbox.example"}},
	}
}

func resolve(t *testing.T, tab *Table, path string) (Decision, error) {
	t.Helper()
	p, err := addr.ParsePath(path, addr.Options{SMTPUTF8: true})
	if err != nil {
		return Decision{}, err
	}
	return tab.Resolve(p.Mailbox)
}

func TestResolve(t *testing.T) {
	tab, err := Compile(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		rule string
		typ  string
	}{
		{"<alice@ours.example>", "r1", Forward},
		{"<ALICE@OURS.example>", "r1", Forward},
		{"<alice+news@ours.example>", "r1", Forward},
		{"<spam@ours.example>", "r2", Drop},
		{"<hook@ours.example>", "r4", Worker},
		{"<jo\u0308rg@ours.example>", "r6", Drop}, // NFD spelling of the rule's NFC local
		{"<Info@xn--bcher-kva.example>", "b1", Drop},
		{"<Info@bücher.example>", "b1", Drop},
		{"<info@bücher.example>", CatchAllID, Forward}, // case-sensitive domain
		{"<anyone@BÜCHER.example>", CatchAllID, Forward},
	}
	for _, c := range cases {
		d, err := resolve(t, tab, c.path)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		if d.RuleID != c.rule || d.Action.Type != c.typ {
			t.Errorf("%s: rule %s %s, want %s %s", c.path, d.RuleID, d.Action.Type, c.rule, c.typ)
		}
	}
	d, _ := resolve(t, tab, "<alice@ours.example>")
	if len(d.Destinations) != 1 || d.Destinations[0].String() != "alice@mailbox.example" {
		t.Errorf("unverified destination used: %v", d.Destinations)
	}
	for path, code := range map[string]string{
		"<bob@ours.example>":    "5.1.1",
		"<old@ours.example>":    "5.7.1",
		"<ghost@ours.example>":  "5.7.1",
		"<alice@other.example>": "5.7.1",
	} {
		_, err := resolve(t, tab, path)
		var r *reply.Reply
		if !errors.As(err, &r) || r.Enhanced != code || r.Code != 550 {
			t.Errorf("%s: %v, want 550 %s", path, err, code)
		}
	}
	if _, err := resolve(t, tab, "<old@ours.example>"); err.(*reply.Reply).Text != "moved away" {
		t.Errorf("reject reason lost: %v", err)
	}
	d, _ = resolve(t, tab, "<alice+x@ours.example>")
	if _, err := resolve(t, tab, "<bob+alice@ours.example>"); err == nil {
		t.Errorf("subaddress after the separator matched: %+v", d)
	}
}

// TestNeverOpenRelay tries every known trick for getting a router to relay
// to a domain it does not serve. Each must be refused at RCPT (a parse
// error or 550 5.7.1), or, when it lands in a served domain's catch-all, go
// only to that catch-all's own verified destination.
func TestNeverOpenRelay(t *testing.T) {
	cfg := testConfig()
	cfg.Domains[0].CatchAll = &Action{Type: Forward, To: []string{"alice@mailbox.example"}}
	tab, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	refused := []string{
		"<victim@other.example>",
		"<@ours.example:victim@other.example>", // source route through us
		"<@ours.example,@ours.example:victim@other.example>",
		"<victim@other.example@ours.example>", // unquoted second @
		"<\"victim@other.example\">",          // quoted @, no domain
		"<victim@ours.example.>",              // trailing dot
		"<victim@other.example.>",
		"<victim@sub.ours.example>",           // subdomain
		"<victim@ours.example.other.example>", // suffix
		"<victim@oursexample>",
		"<victim@ours.exаmple>",     // Cyrillic а look-alike
		"<victim@оurs.example>",     // Cyrillic о look-alike
		"<victim@xn--ours-example>", // bogus A-label
		"<victim@[127.0.0.1]>",      // IP literals
		"<victim@[IPv6:::1]>",
		"<victim@ours.example\x00.other.example>",
		"<victim@ours.example >",
		"<victim@ours.example,other.example>",
		"<victim@ours.example:other.example>",
	}
	for _, p := range refused {
		d, err := resolve(t, tab, p)
		if err == nil {
			t.Errorf("%q accepted: %+v", p, d)
			continue
		}
		var r *reply.Reply
		var a *addr.Error
		if !errors.As(err, &a) && !(errors.As(err, &r) && r.Code == 550) {
			t.Errorf("%q: %v is neither a parse error nor a 550", p, err)
		}
	}
	// These land in a served domain; the destination must be ours.
	caught := []string{
		"<victim%other.example@ours.example>",     // %-hack
		"<other.example!victim@ours.example>",     // bang path
		"<\"victim@other.example\"@ours.example>", // quoted @
		"<@other.example:victim@ours.example>",    // source route ignored
		"<victim@ＯＵＲＳ．example>",                   // full-width maps to ours (UTS #46)
	}
	for _, p := range caught {
		d, err := resolve(t, tab, p)
		if err != nil {
			t.Errorf("%q: %v", p, err)
			continue
		}
		if d.Domain != "ours.example" || len(d.Destinations) != 1 || d.Destinations[0].String() != "alice@mailbox.example" {
			t.Errorf("%q routed to %+v", p, d)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	cfg := Config{Domains: []Domain{
		{Name: "ok.example", Rules: []Rule{
			{ID: "a", Local: "x", Action: Action{Type: "bounce"}},
			{ID: "a", Local: "X", Action: Action{Type: Forward}},
			{ID: "", Local: "bad local", Action: Action{Type: Worker}},
		}},
		{Name: "OK.example"},
		{Name: "[127.0.0.1]"},
	}}
	_, err := Compile(cfg)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v", err)
	}
	want := map[string]bool{
		"domains[0].rules[0].action.type": true, "domains[0].rules[1].id": true,
		"domains[0].rules[1].local": true, "domains[0].rules[1].action.to": true,
		"domains[0].rules[2].id": true, "domains[1].name": true, "domains[2].name": true,
	}
	got := map[string]bool{}
	for _, p := range ve.Problems {
		got[p.Field] = true
	}
	for f := range want {
		if !got[f] {
			t.Errorf("no problem reported for %s (got %v)", f, ve.Problems)
		}
	}
}
