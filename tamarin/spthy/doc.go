// Package spthy reads and writes the subset of Tamarin's theory language
// (.spthy) that edgelab's theories use: builtins, function declarations,
// equations, multiset rewriting rules with let blocks, restrictions, and
// trace lemmas, plus Tamarin's #ifdef preprocessor.
//
// Parse turns text into a Theory; Print (and Theory.String) turns a Theory
// back into text that parses to the same Theory. Terms that are ground — no
// message or temporal variables — convert to model.Term with ToModel, so the
// trace checker and the theories speak the same vocabulary.
//
// The parser is strict where Tamarin is and reports the first problem as a
// *SyntaxError with line and column. Proof scripts, processes (SAPIC),
// predicates, macros, and diff-equivalence are not part of the subset.
package spthy
