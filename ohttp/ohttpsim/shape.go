package ohttpsim

// This file tells the plan generator what the world looks like: knob
// ranges, node names and how far into a run faults may fall.

import (
	"strconv"
	"time"

	"github.com/edgelab/edgelab/sim/plan"
)

// Node names.
const (
	RelayNode   = "relay"
	GatewayNode = "gateway"
	TargetNode  = "target"
)

// RelayName names relay j (from 1): "relay", then "relay-2", ...
func RelayName(j int) string {
	if j == 1 {
		return RelayNode
	}
	return RelayNode + "-" + strconv.Itoa(j)
}

// relayOf is the relay client i uses.
func (c Config) relayOf(client int) string { return RelayName((client-1)%c.Relays + 1) }

// GatewayName names gateway k (from 1): "gateway", then "gateway-2", ...
func GatewayName(k int) string {
	if k == 1 {
		return GatewayNode
	}
	return GatewayNode + "-" + strconv.Itoa(k)
}

// gatewayOf is the gateway relay forwards to.
func (c Config) gatewayOf(relay string) string {
	for j, r := range c.relays() {
		if r == relay {
			return GatewayName(j%c.Gateways + 1)
		}
	}
	return GatewayNode
}

// gateways lists the gateways.
func (c Config) gateways() []string {
	var out []string
	for k := 1; k <= c.Gateways; k++ {
		out = append(out, GatewayName(k))
	}
	return out
}

// relays lists the relays.
func (c Config) relays() []string {
	var out []string
	for j := 1; j <= c.Relays; j++ {
		out = append(out, RelayName(j))
	}
	return out
}

// ClientNode names client i (from 1).
func ClientNode(i int) string { return "client-" + strconv.Itoa(i) }

// nodeNames lists the nodes of a world, in creation order.
func nodeNames(c Config) []string {
	out := []string{RelayNode, GatewayNode, TargetNode}
	out = append(out, c.relays()[1:]...)
	out = append(out, c.gateways()[1:]...)
	for i := 1; i <= c.Clients; i++ {
		out = append(out, ClientNode(i))
	}
	return out
}

// Shape is the world's plan shape. Property-test plans are small (two to
// four clients, a few requests each) so a shrunk failure reads easily.
var Shape = plan.Shape{
	World: Name,
	Knobs: []plan.KnobRange{
		{Name: "clients", Min: 2, Max: 4, SoakMax: 16},
		{Name: "relays", Min: 1, Max: 2, SoakMax: 4},
		{Name: "gateways", Min: 1, Max: 2, SoakMax: 3},
		{Name: "requests", Min: 2, Max: 4, SoakMax: 50},
		{Name: "size", Min: 16, Max: 256},
	},
	Nodes: func(p *plan.Plan) ([]string, error) {
		c, err := ConfigFrom(p)
		if err != nil {
			return nil, err
		}
		return nodeNames(c), nil
	},
	Horizon: func(p *plan.Plan) time.Duration {
		c, err := ConfigFrom(p)
		if err != nil {
			return plan.DefaultHorizon
		}
		return c.horizon()
	},
}

// GenOptions are the options property-test plans are drawn with.
var GenOptions = plan.GenOptions{MaxFaults: 6}
