package export

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin/check"
	"github.com/edgelab/edgelab/tamarin/check/checktest"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// A long run exports as parts that each hold whole stretches of the
// trace with the facts their values come from, so every part is small
// enough for tamarin-prover and still ties each reply to its send.
func TestSplitPartsCoverTheRunAndCarryTheirOrigins(t *testing.T) {
	tr := checktest.Interleaved(12, 3, 3)
	facts := check.ResolveFacts(tr)
	const max = 10
	groups := split(facts, max)
	if len(groups) < 4 {
		t.Fatalf("%d facts in %d parts of at most %d", len(facts), len(groups), max)
	}
	// The first fact to hold each fresh value, found here independently.
	firstOf := map[string]int{}
	for i, e := range facts {
		for _, a := range e.Args {
			freshValues(a, func(key string) {
				if _, seen := firstOf[key]; !seen {
					firstOf[key] = i
				}
			})
		}
	}
	covered := map[int]bool{}
	for k, g := range groups {
		in := map[int]bool{}
		for _, i := range g {
			in[i], covered[i] = true, true
		}
		if len(g) > max {
			t.Errorf("part %d has %d facts, more than %d", k+1, len(g), max)
		}
		for _, i := range g {
			for _, a := range facts[i].Args {
				freshValues(a, func(key string) {
					if !in[firstOf[key]] {
						t.Errorf("part %d holds fact %d (%s) without fact %d, where its value %q comes from",
							k+1, i, facts[i].Name, firstOf[key], strings.Split(key, "\x00")[0])
					}
				})
			}
		}
	}
	if len(covered) != len(facts) {
		t.Fatalf("parts cover %d of %d facts", len(covered), len(facts))
	}
}

func TestExportedPartsParseAndAreWitnessed(t *testing.T) {
	th := parseFile(t, "../check/testdata/ohttp_fixture.spthy")
	// Names that are spthy identifiers already, so the lemmas' constants
	// are the trace's names and the Go checker can match them.
	b := checktest.New()
	b.GatewayName, b.TargetName = "gw", "tg"
	k := b.Publish(1, "pk")
	for i, c := range []string{"alice", "bob", "alice", "carol", "bob", "alice"} {
		b.Run(b.NewExchange(c, k, fmt.Sprintf("GET /%d", i), fmt.Sprintf("200 %d", i)))
	}
	tr := &b.Trace
	var buf bytes.Buffer
	if err := SpthyParts(&buf, th, tr, "Parts", 12); err != nil {
		t.Fatal(err)
	}
	out, err := spthy.Parse(buf.Bytes(), spthy.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	var parts []string
	for _, l := range out.Lemmas {
		if strings.HasPrefix(l.Name, LemmaName+"_") {
			parts = append(parts, l.Name)
			if l.Traces != spthy.ExistsTrace || !strings.Contains(l.Doc, "of the recorded run (trace sha256 "+tr.HashHex()) {
				t.Errorf("lemma %s: %+v", l.Name, l)
			}
		}
	}
	if len(parts) < 2 || parts[0] != LemmaName+"_1" {
		t.Fatalf("part lemmas %v", parts)
	}
	cfg, err := check.ConfigFor(th)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := check.Check(out, tr, check.Options{Adversary: []string{"network"}, Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Conformance.OK || len(rep.Lemmas) != len(parts) {
		t.Fatalf("conformance %v, %d lemmas judged for %d parts", rep.Conformance.OK, len(rep.Lemmas), len(parts))
	}
	for _, l := range rep.Lemmas {
		if l.Verdict != check.Witnessed {
			t.Errorf("part %s: %v", l.Name, l.Verdict)
		}
	}
	// Zero parts is one lemma, as Spthy writes it.
	var one, plain bytes.Buffer
	if err := SpthyParts(&one, th, tr, "Parts", 0); err != nil {
		t.Fatal(err)
	}
	if err := Spthy(&plain, th, tr, "Parts"); err != nil || one.String() != plain.String() {
		t.Fatalf("SpthyParts(0) differs from Spthy (%v)", err)
	}
	if err := SpthyParts(&one, th, &model.Trace{}, "Parts", 5); err == nil {
		t.Error("an empty trace exported")
	}
}
