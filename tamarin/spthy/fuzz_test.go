package spthy

import (
	"testing"
)

// FuzzParse checks that Parse never panics, that it either returns a
// theory or a *SyntaxError, and that whatever it accepts prints to text it
// reads back as the same theory.
func FuzzParse(f *testing.F) {
	for _, src := range fixtures(f) {
		f.Add(string(src))
	}
	for _, s := range []string{
		inTheory("rule R: let x = <a, b> in [ In(x) ] --[ A(x) ]-> [ !P(~k)[+] ]"),
		inTheory(`lemma l [sources, hide_lemma=x]: exists-trace "Ex #i. A(<<a, b>, c>) @ i & last(i)"`),
		inTheory("builtins: diffie-hellman\nequations: f(g^x^y, 1) = x*y + z"),
		inTheory("#ifdef A | not B\nrestriction r: \"not T\"\n#endif"),
		inTheory("heuristic: S\ntactic: t\nprio:\n  regex \"x\"\n// doc\nlemma l: \"T\""),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		th, err := Parse([]byte(src), Options{Defines: []string{"A"}})
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("error %v is a %T, not a *SyntaxError", err, err)
			}
			return
		}
		text := th.String()
		again, err := Parse([]byte(text), Options{})
		if err != nil {
			t.Fatalf("printed theory does not parse: %v\n--- input\n%s\n--- printed\n%s", err, src, text)
		}
		if again.String() != text {
			t.Fatalf("printing is not stable\n--- first\n%s\n--- second\n%s", text, again.String())
		}
		if !sameTheory(th, again) {
			t.Fatalf("round trip changed the theory\n--- input\n%s\n--- printed\n%s", src, text)
		}
	})
}
