package pingworld

// This file tells the plan generator what the ping world looks like: the
// knob ranges to draw, the nodes a plan's knobs produce, the latency its
// timeouts allow, that drawn plans heal halfway through the pings, and
// that crashes hit servers only (a crashed client sends fewer pings than its quota, or
// more after a restart, which Check rightly calls a broken world).

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/sim/plan"
)

// Shape is the ping world's plan shape.
var Shape = plan.Shape{
	World: Name,
	Knobs: []plan.KnobRange{
		{Name: "clients", Min: 1, Max: 3, SoakMax: 8},
		{Name: "servers", Min: 1, Max: 3, SoakMax: 5},
		{Name: "pings", Min: 1, Max: 10, SoakMax: 100},
		{Name: "interval", Unit: time.Millisecond, Min: 50, Max: 300},
		{Name: "timeout", Unit: time.Millisecond, Min: 200, Max: 1000},
	},
	Nodes: func(p *plan.Plan) ([]string, error) {
		c, err := ConfigFrom(p)
		if err != nil {
			return nil, err
		}
		var names []string
		for i := 1; i <= c.Servers; i++ {
			names = append(names, "server-"+strconv.Itoa(i))
		}
		for i := 1; i <= c.Clients; i++ {
			names = append(names, "client-"+strconv.Itoa(i))
		}
		return names, nil
	},
	Horizon: func(p *plan.Plan) time.Duration {
		c, err := ConfigFrom(p)
		if err != nil {
			return plan.DefaultHorizon
		}
		// Faults fall in the first half of the schedule; the run then
		// heals (Converge), and the pings of the second half must all be
		// answered (Result.Check).
		return time.Duration(c.Pings) * c.Interval / 2
	},
	// A healthy round trip takes at most a quarter of the timeout, which
	// leaves room for queueing behind messages released at healing.
	MaxLatency: func(p *plan.Plan) time.Duration {
		c, err := ConfigFrom(p)
		if err != nil {
			return 0
		}
		return c.Timeout / 8
	},
	Converge: time.Second,
	Targets: func(kind string, nodes []string) []string {
		if kind != "crash" && kind != "restart" {
			return nodes
		}
		return slices.DeleteFunc(nodes, func(n string) bool { return strings.HasPrefix(n, "client-") })
	},
}
