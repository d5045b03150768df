// Package tamarin holds edgelab's Tamarin theories and the tools around
// them.
//
// The theories live in theories/*.spthy and are embedded in the binary:
// Theories lists them and Parse reads one with the spthy parser. Their
// action facts are the events the services record (see ohttp/facts.go),
// so a recorded trace can be
//
//   - checked in pure Go (package tamarin/check): the trace replays as a run
//     of the theory's rules under multiset-rewriting semantics, and every
//     all-traces lemma holds on it against a chosen adversary, whose
//     Dolev–Yao knowledge is derived from its view of the trace;
//   - exported as a theory of its own (package tamarin/export) whose
//     exists-trace lemma says the run is possible in the model, for
//     tamarin-prover to confirm;
//   - and the theories themselves proved with tamarin-prover when it is
//     installed (package tamarin/prove), each lemma's result compared with
//     the "// expect: verified" or "// expect: falsified" annotation in its
//     comment.
//
// Outside the standard library, these packages import model and each
// other only (tamarin and check on spthy, export on check, prove on
// tamarin and check); nothing here imports a service.
package tamarin
