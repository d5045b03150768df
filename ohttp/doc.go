// Package ohttp implements Oblivious HTTP (RFC 9458): key configurations,
// the HPKE encapsulation of requests and responses, chunked encapsulation
// (draft-ietf-ohai-chunked-ohttp-08), key discovery (RFC 9540), and the
// three roles as real HTTP components: a Client (an http.RoundTripper), a
// Relay and a Gateway (http.Handlers). Binary HTTP (RFC 9292) is in the
// subpackage bhttp.
//
// HPKE is github.com/cloudflare/circl's, for every suite it offers that
// OHTTP can use: DHKEM over X25519, X448, P-256, P-384 and P-521, and the
// post-quantum hybrid X-Wing; HKDF-SHA256/384/512; AES-128-GCM, AES-256-GCM
// and ChaCha20-Poly1305. Tests cross-check it against Go's crypto/hpke.
//
// The package follows the lab's seam rules: it never reads the wall clock,
// never draws randomness of its own, never dials and never starts
// goroutines. Time comes from an injected func() time.Time, randomness from
// an injected io.Reader (key generation, HPKE encapsulation, response
// nonces: the same reader bytes give the same output), the network from
// injected http.RoundTrippers and a resolver. Each role can record the
// action facts listed in facts.go for the trace checker.
//
// Files, one idea each:
//
//	suites.go     algorithm identifiers and their sizes
//	keyconfig.go  key configurations and application/ohttp-keys lists
//	privatekey.go gateway private keys and the key file format
//	keyring.go    keys by ID, publication, rotation with a grace period
//	rotation.go   the gateway's rotation loop on the Env's clock
//	encap.go      request and response encapsulation (RFC 9458 §4)
//	chunked.go    chunked encapsulation as streaming readers and writers
//	discovery.go  media types and the key configuration resource (RFC 9540)
//	problem.go    problem details for errors before decryption
//	allowlist.go  which targets a gateway may reach (no open proxy, no SSRF)
//	gateway.go    the Oblivious Gateway Resource
//	relay.go      the Oblivious Relay Resource
//	mixer.go      the relay's batching and random delay
//	keyproxy.go   the relay's key-configuration proxy (RFC 9540 §6)
//	client.go     the client, with key pinning
//	facts.go      the action-fact vocabulary
//	bugs.go       the catalog of seeded bugs, off by default
package ohttp
