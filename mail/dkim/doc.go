// Package dkim signs messages with DKIM (RFC 6376) and verifies their
// signatures. Verification is github.com/emersion/go-msgauth's, fed with
// keys looked up through the Env resolver; the signer is ours, because
// go-msgauth's reads the wall clock: ours takes the signing time from the
// caller, so the same message, key and time give the same bytes. Both
// rsa-sha256 and ed25519-sha256 (RFC 8463) are supported, with simple and
// relaxed canonicalization. ARC (package arc) signs and checks its seals
// with the primitives here.
package dkim
