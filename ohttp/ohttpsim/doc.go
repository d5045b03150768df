// Package ohttpsim is the Oblivious HTTP world in the simulator: the real
// ohttp.Client, Relay and Gateway and a real target http.Handler, each on
// its own simulated node, under a workload and faults taken from a
// plan.Plan; the views each party had of the run; and the properties that
// say the relay learns who but not what, the gateway what but not who.
//
// Topology. Nodes client-1 … client-N (each its own IPv4/IPv6 address:
// the client identity), relays (relay, relay-2, …: client i uses relay
// (i-1) mod R + 1), gateways (gateway, gateway-2, …: relay j forwards to
// gateway (j-1) mod G + 1) and one target. The relay node hosts the
// Oblivious Relay Resource behind the relay's mixer (ohttp.Mixer, knobs
// batch, batch_timeout and delay) on port 80 and the key-configuration
// proxy (ohttp.KeyProxy) on port 8080: clients fetch and pin the
// gateway's keys (RFC 9540) through the relay rather than from the
// gateway directly, because a direct fetch would show the gateway every
// client's address next to the moment it starts sending (RFC 9540 §6).
// The gateway's keyring rotates on ohttp.RunRotation (knobs rotate_every
// and grace); retiring keys keep decrypting for a grace period and a
// client whose key is refused refetches and retries once. The mixer, the
// proxy and the rotation loop are the code `edgelab serve ohttp` runs.
//
// Views. Every handler and every client transport is wrapped so that what
// a party receives — method or status, path, header values (split into
// tokens), the body's digest and the source address — is recorded on its
// node as an Observe record (a Note event with terms in the final trace,
// so the trace still replays as a run of the Tamarin theory). A party's
// view, model.Observe(trace, PartyLens(node)), therefore holds exactly
// what that party saw; WireTap views cover the network between pairs.
//
// Properties (symbolic.go, swap.go, linkability.go):
//
//  1. symbolic: no non-client party's Dolev–Yao knowledge links a client
//     to its request; the relay derives no request or response; the
//     gateway no client identity; the target no address but the
//     gateway's; every response is sealed under its own request's
//     context, contexts are never shared between requests, and every
//     response a client accepts is the one the gateway made for it.
//  2. swap equivalence: swapping two clients' requests leaves the
//     gateway's and the target's views identical.
//  3. quantitative: a timing adversary on both sides of the relay links
//     requests to clients; its advantage is measured against relay
//     batching and random delay.
//
// World (lab.go) is the world behind the sim/world interface: properties
// 1 and 2 as its verdict, package ohttp's seeded bugs (switched on by
// name) as its catalog, ohttp.spthy as its theory and property 3 as the
// experiment "linkability". On the command line: `edgelab run --world
// ohttp [--bug NAME]` (properties 1 and 2), `edgelab bugs --world ohttp`
// (detection table, with sim/world's generic search and shrinker) and
// `edgelab experiment ohttp linkability --out DIR` (property 3's curve as
// CSV and SVG).
//
// Theory. The roles record the action facts of tamarin/theories/ohttp.spthy
// (ohttp/facts.go); the tests replay every world trace as a run of that
// theory for every party and show that each seeded bug violates one of
// its lemmas (theory_test.go), and `edgelab bugs` names those lemmas.
//
// Randomness. Every node's randomness is its Env.Rand(), except each
// request's HPKE randomness and the workload itself, which are derived
// from the seed and the slot number (workload.go) so that property 2 can
// move a request from one client to another and change nothing else.
package ohttpsim
