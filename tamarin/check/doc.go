// Package check verifies recorded traces against a Tamarin theory in pure
// Go, with no prover.
//
// Conformance. New replays a trace's action facts (events of Kind
// model.Fact), in order, as a run of the theory's rules under
// multiset-rewriting semantics on ground terms; see New for the rules of
// the replay. The first fact that no rule instance can account for is
// reported with the reason of the attempt that got furthest: the premise
// that had no matching fact, the In message the network could not derive,
// or the fresh value already generated.
//
// Lemmas. Run.Evaluate decides every lemma on the finite trace for a
// chosen adversary — a party of the theory's Config, or a coalition of
// several:
//
//   - time points are the run's rule instances with action facts, led by
//     the instances of the adversary's compromise rules; F(...)@#i holds
//     iff instance i has that action; #i < #j, #i = #j, t = u, t << u and
//     last(#i) have their usual meaning on them;
//   - message variables range over the terms occurring in the trace (by
//     guarded search: an action, K or equality conjunct binds them; a
//     variable nothing binds runs through the whole domain, within a step
//     budget);
//   - K(t)@#j holds iff t is derivable (model.Knowledge, with the theory's
//     signature from NewSignature) from what the adversary knows at or
//     before #j: its view of the trace (model.Observe with one lens per
//     node pattern of the party, and a wire tap if it has one), the
//     messages the run sent to the network if it controls the network, and
//     the outputs of its compromise instances. Opaque terms are resolved
//     through a model.Binding of the whole trace, so a relay's ~blob is
//     the encapsulated request with the same digest.
//
// An all-traces lemma holds or is violated (with the first violating
// assignment of its outer variables and the events they stand for); an
// exists-trace lemma is witnessed by the trace or not applicable; a lemma
// with constructs the evaluator cannot decide is not applicable, with the
// reason.
//
// The party table (Config) is data that sits beside its theory:
// NAME.parties.json next to NAME.spthy (tamarin/theories for the embedded
// ones) gives the theory's vocabulary and parties, each party the trace
// nodes that are it and the compromise facts that hold when it is the
// adversary. A theory without one has the network as its only party; the
// checker knows no party names of its own.
package check
