package spthy

import (
	"errors"
	"strings"
	"testing"
)

func TestSyntaxErrors(t *testing.T) {
	rule := func(body string) string { return "theory T begin\nrule R:\n  " + body + "\nend" }
	item := func(body string) string { return "theory T begin\n" + body + "\nend" }
	cases := []struct {
		src, want string
	}{
		{"", "spthy:1:1: expected 'theory', got end of input"},
		{"thoery T begin end", "spthy:1:1: expected 'theory', got 'thoery'"},
		{"theory T", "spthy:1:9: expected 'begin' after theory name, got end of input"},
		{"theory T begin", "spthy:1:15: expected 'end' to close theory T, got end of input"},
		{"theory T begin end trailing", "spthy:1:20: unexpected 'trailing' after 'end'"},

		{rule("[ In(x) --> [ Out(x) ]"), "spthy:3:11: expected ']' after fact list, got '-->'"},
		{rule("[ In(x) ] -- [ Out(x) ]"), "spthy:3:13: expected '-->' or '--[' after the premises of rule R, got '-'"},
		{rule("[ In(x) ] --[ A(x) -> [ Out(x) ]"), "spthy:3:22: expected ']' after fact list, got '->'"},
		{rule("[ In(x) ] --[ A(x) ] [ Out(x) ]"), "spthy:3:24: expected '->' after the action facts (write ']->'), got '['"},
		{rule("[ In(x) ] --> Out(x)"), "spthy:3:17: expected '[' to open the conclusions of rule R, got 'Out'"},
		{item("rule R\n  [ In(x) ] --> [ ]"), "spthy:3:3: expected ':' after rule name R, got '['"},
		{item("rule R: [ in(x) ] --> [ ]"), "spthy:2:11: fact name 'in' must start with an upper-case letter"},
		{item("rule R: [ In x ] --> [ ]"), "spthy:2:14: expected '(' after fact name In, got 'x'"},
		{item("rule R: [ In(x, ) ] --> [ ]"), "spthy:2:17: expected a term, got ')'"},
		{item("rule R: [ In(<x>) ] --> [ ]"), "spthy:2:14: a tuple needs at least two elements"},
		{item("rule R: [ In(<x, y) ] --> [ ]"), "spthy:2:19: expected '>' to close the tuple, got ')'"},
		{item("rule R: [ In('abc) ] --> [ ]"), "spthy:2:14: constant not terminated: missing '"},
		{item("rule R: [ In(~) ] --> [ ]"), "spthy:2:14: expected a name after '~'"},
		{item("rule R: [ In(x:int) ] --> [ ]"), "spthy:2:16: unknown sort 'int' (want msg, fresh, pub, node or temporal)"},
		{item("rule R: [ In(2) ] --> [ ]"), "spthy:2:14: a number is not a term here (constants are written 'c'), got '2'"},
		{item("rule R: [ In(x)[*] ] --> [ ]"), "spthy:2:17: expected a fact annotation (+, - or no_precomp), got '*'"},
		{item("rule R: let x = y [ ] --> [ ]"), "spthy:2:19: expected a variable or 'in' in the let block, got '['"},
		{item("rule R: let f(x) = y in [ ] --> [ ]"), "spthy:2:13: expected a variable on the left of '=' in let, got f(x)"},
		{item("rule R: let in [ ] --> [ ]"), "spthy:2:9: empty let block"},
		{item("rule R[color=red: [ ] --> [ ]"), "spthy:2:14: attribute value not terminated: missing ']'"},
		{item("rule R: [ In(x) ] --> [ Out(x) ] %"), "spthy:2:34: unexpected character '%'"},
		{item("rule R: [ In(\xff) ] --> [ ]"), "spthy:2:14: invalid UTF-8"},

		{item("builtins: hashing, diffie_hellman"), "spthy:2:20: unknown builtin 'diffie_hellman'"},
		{item("builtins: diffie-\nrule"), "spthy:3:1: expected the rest of a builtin name after '-', got 'rule'"},
		{item("functions: f/x"), "spthy:2:14: expected the arity of f, got 'x'"},
		{item("functions: f 2"), "spthy:2:14: expected '/' after function name f, got '2'"},
		{item("functions: f/2 [public]"), "spthy:2:17: unknown function attribute 'public' (want private or destructor)"},
		{item("functions: f(msg): msg"), "spthy:2:13: typed function declarations are not supported; write f/arity"},
		{item("equations: f(x) == x"), "spthy:2:18: expected a term, got '='"},

		{item(`lemma l: "All x. F(x) @ i`), "spthy:3:1: expected '\"' to close the formula, got 'end'"},
		{item(`lemma l: All x. F(x) @ i`), "spthy:2:10: expected '\"' to open the formula, got 'All'"},
		{item(`lemma l: "All . F(x) @ i"`), "spthy:2:15: expected variables after 'All'"},
		{item(`lemma l: "All x F(x) @ i"`), "spthy:2:17: expected a variable or '.' after 'All', got 'F'"},
		{item(`lemma l: "F(x)"`), "spthy:2:15: expected '@', '=', '<' or '<<' after F(x), got '\"'"},
		{item(`lemma l: "f(x) @ i"`), "spthy:2:11: expected an action fact before '@', got f(x)"},
		{item(`lemma l: "F(x) @ f(i)"`), "spthy:2:18: expected a time point variable after '@', got f(i)"},
		{item(`lemma l: "x < f(y)"`), "spthy:2:15: expected a time point variable after '<', got f(y)"},
		{item(`lemma l: "(F(x) @ i"`), "spthy:2:20: expected ')' to close the parenthesised formula, got '\"'"},
		{item(`lemma l: ""`), "spthy:2:11: expected a formula, got '\"'"},
		{item(`lemma l: "& T"`), "spthy:2:11: expected a formula, got '&'"},
		{item(`lemma l: forall-traces "T"`), "spthy:2:10: expected '\"' to open the formula, got 'forall'"},
		{item(`lemma l: all-trace "T"`), "spthy:2:10: expected all-traces or exists-trace, got 'all-trace'"},
		{item(`lemma l [sources: "T"`), "spthy:2:17: expected ',' or ']' in attribute list, got ':'"},
		{item(`lemma l: "T" simplify`), "spthy:2:14: expected a rule, lemma, restriction or declaration, got 'simplify'"},
		{item(`restriction r "T"`), "spthy:2:15: expected ':' after restriction name r, got '\"'"},
		{item(`lemma l: "` + strings.Repeat("(", 300) + "T" + strings.Repeat(")", 300) + `"`), "spthy:2:139: nesting deeper than 256 levels"},
		{item("rule R: [ F(" + strings.Repeat("h(", 300) + "x" + strings.Repeat(")", 300) + ") ] --> [ ]"), "spthy:2:525: nesting deeper than 256 levels"},

		{item("predicates: P(x) <=> T"), "spthy:2:1: 'predicates' is not supported by this parser"},
		{item("rule R: [ ] --> [ ]\n/* open comment"), "spthy:3:1: comment not terminated: missing */"},
		{item("#ifdef A\nrule R: [ ] --> [ ]"), "spthy:2:1: #ifdef without #endif"},
		{item("  #else"), "spthy:2:3: #else without #ifdef"},
		{item("#endif"), "spthy:2:1: #endif without #ifdef"},
		{item("#ifdef A\n#else\n#else\n#endif"), "spthy:4:1: second #else for the #ifdef at 2:1"},
		{item("#ifdef A &\n#endif"), "spthy:2:1: #ifdef condition ends early"},
		{item("#ifdef A B\n#endif"), "spthy:2:1: unexpected \"B\" in #ifdef condition"},
		{item("#ifdef\n#endif"), "spthy:2:1: #ifdef needs a flag"},
		{item(`#include "x.spthy"`), "spthy:2:1: #include is not supported"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.src), Options{})
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v is not a *SyntaxError", c.src, err)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.src, err, c.want)
		}
	}
}

func TestSyntaxErrorNamesFile(t *testing.T) {
	_, err := Parse([]byte("theory T begin\nrule"), Options{File: "theories/ohttp.spthy"})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Pos != (Pos{2, 5}) || se.File != "theories/ohttp.spthy" {
		t.Fatalf("error %#v", err)
	}
	if !strings.HasPrefix(err.Error(), "theories/ohttp.spthy:2:5: ") {
		t.Errorf("error %q does not start with the file name", err)
	}
}
