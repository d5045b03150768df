package ohttpsim

// DefaultPlan is what `edgelab run --world ohttp` runs without a plan: a
// jittery, lossy, duplicating network; the gateway's link to the relay
// held and released; a partition between relay and gateway; a client cut
// off from the relay; a gateway crash and restart; a paused relay; and
// keys rotating every two seconds with a short grace period, so clients
// are refused, refetch and retry.
const DefaultPlan = `{
  "world": "ohttp",
  "knobs": {"clients": 4, "requests": 10, "rate": 8, "rotate_every": "2s", "grace": "1s"},
  "network": {
    "default": {
      "latency": {"dist": "lognormal", "min": "1ms", "median": "4ms", "sigma": 0.5},
      "loss": 0.01, "dup": 0.03, "reorder": 0.05, "reorder_delay": "20ms"
    }
  },
  "faults": [
    {"at": "1s", "kind": "hold", "from": ["relay"], "to": ["gateway"], "for": "300ms"},
    {"at": "2s", "kind": "partition", "from": ["relay"], "to": ["gateway"], "for": "500ms"},
    {"at": "3s", "kind": "partition", "from": ["client-2"], "to": ["relay"], "for": "1s"},
    {"at": "3.5s", "kind": "crash", "node": "gateway", "for": "400ms"},
    {"at": "4.5s", "kind": "pause", "node": "relay", "for": "200ms"}
  ]
}`
