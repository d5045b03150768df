// Package model is the formal vocabulary shared by the simulator, the
// services, the trace exporters and the Tamarin checker: symbolic terms,
// events (action facts), and traces with a canonical NDJSON encoding.
//
// It depends on the standard library only, so every other package can speak
// it without pulling in the simulator or a service.
package model
