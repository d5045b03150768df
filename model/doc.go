// Package model is the formal vocabulary shared by the simulator, the
// services, the trace exporters and the Tamarin checker: symbolic terms,
// events (action facts), and traces with a canonical NDJSON encoding; what
// a party observes of a trace (View, through Lenses: a node's own events, a
// wire tap on links); and generic Dolev–Yao knowledge (Knowledge, over any
// Signature of constructors and destructor rules; a protocol's signature
// comes from its Tamarin theory, not from here) with a Binding that
// resolves opaque terms to structured ones by digest.
//
// It depends on the standard library only, so every other package can speak
// it without pulling in the simulator or a service.
package model
