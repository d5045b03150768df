// Package sim is the simulation kernel: one goroutine running an event
// heap in virtual time with seeded random streams; nodes, each with a
// simulated env.Env (clock, tasks, disk, resolver, dial and listen); the
// network between them (links, partitions, clogs, holds, address-family
// outages), its byte streams and HTTP transport; crashes, pauses, healing
// and BUGGIFY; and the trace of what happened. Its rooms hold one idea
// each and never import it: dns (zones, the server, the stub client),
// disk (MemDisk), link (latency distributions, link parameters, address
// families), plan (plans as data and their generators), internal/wire
// (the HTTP/1.1 byte writer) and internal/streams (the random-stream
// derivation).
package sim
