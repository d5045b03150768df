package ohttpsim

// This file is the world's workload and relay knobs, read from a plan.

import (
	"errors"
	"time"

	"github.com/edgelab/edgelab/sim/plan"
)

// Name is the world's name in plans and on the command line.
const Name = "ohttp"

// DefaultSeed is the seed the command line runs the world with.
const DefaultSeed = 1

// Config is the workload and the relay's mixing. Plans set it with knobs
// of the same names (in snake case).
type Config struct {
	// Clients is the number of client nodes.
	Clients int
	// Relays is the number of relays; client i uses relay (i-1)%Relays+1.
	Relays int
	// Gateways is the number of gateways; relay j forwards to gateway
	// (j-1)%Gateways+1 (each relay serves one gateway, as ohttp.Relay does).
	Gateways int
	// Requests is the number of requests each client sends on average;
	// the workload has Clients*Requests slots.
	Requests int
	// Rate is the aggregate request rate (requests per virtual second);
	// arrivals are Poisson.
	Rate float64
	// Size is the request body size in bytes.
	Size int
	// Batch is the relay's batch size k: it holds requests until k are
	// queued or BatchTimeout passes. 1 means no batching.
	Batch        int
	BatchTimeout time.Duration
	// Delay is the bound of the relay's uniform random delay per request.
	Delay time.Duration
	// RotateEvery and Grace are the gateway's key rotation schedule.
	RotateEvery, Grace time.Duration
	// Timeout bounds each client request.
	Timeout time.Duration
}

// DefaultConfig is the workload when a plan sets no knobs.
func DefaultConfig() Config {
	return Config{
		Clients: 3, Relays: 1, Gateways: 1, Requests: 4, Rate: 20, Size: 64,
		Batch: 1, BatchTimeout: 200 * time.Millisecond,
		RotateEvery: 5 * time.Second, Grace: time.Minute,
		Timeout: 2 * time.Second,
	}
}

// Knobs lists the plan knobs the world understands.
var Knobs = []string{"clients", "relays", "gateways", "requests", "rate", "size", "batch", "batch_timeout", "delay", "rotate_every", "grace", "timeout"}

// ConfigFrom reads the config from the plan's knobs over the defaults.
func ConfigFrom(p *plan.Plan) (Config, error) {
	c := DefaultConfig()
	if err := p.CheckKnobs(Knobs...); err != nil {
		return c, err
	}
	var err error
	ints := []struct {
		name string
		v    *int
	}{{"clients", &c.Clients}, {"relays", &c.Relays}, {"gateways", &c.Gateways}, {"requests", &c.Requests}, {"size", &c.Size}, {"batch", &c.Batch}}
	for _, k := range ints {
		if *k.v, err = p.KnobInt(k.name, *k.v); err != nil {
			return c, err
		}
	}
	if c.Rate, err = p.KnobFloat("rate", c.Rate); err != nil {
		return c, err
	}
	durs := []struct {
		name string
		v    *time.Duration
	}{{"batch_timeout", &c.BatchTimeout}, {"delay", &c.Delay}, {"rotate_every", &c.RotateEvery}, {"grace", &c.Grace}, {"timeout", &c.Timeout}}
	for _, k := range durs {
		if *k.v, err = p.KnobDuration(k.name, *k.v); err != nil {
			return c, err
		}
	}
	bad := func(f, want string) error { return &plan.Error{Field: "knobs." + f, Err: errors.New(want)} }
	switch {
	case c.Clients < 1 || c.Clients > 200:
		return c, bad("clients", "want 1 to 200")
	case c.Relays < 1 || c.Relays > 16:
		return c, bad("relays", "want 1 to 16")
	case c.Gateways < 1 || c.Gateways > 16:
		return c, bad("gateways", "want 1 to 16")
	case c.Requests < 0 || c.Requests > 10000:
		return c, bad("requests", "want 0 to 10000")
	case !(c.Rate > 0 && c.Rate <= 1e6):
		return c, bad("rate", "want a positive rate up to 1e6")
	case c.Size < 16 || c.Size > 1<<16:
		// 16 bytes hold the slot number that makes each request unique.
		return c, bad("size", "want 16 to 65536")
	case c.Batch < 1 || c.Batch > 1000:
		return c, bad("batch", "want 1 to 1000")
	case c.BatchTimeout <= 0:
		return c, bad("batch_timeout", "want a positive duration")
	case c.Delay < 0:
		return c, bad("delay", "want a non-negative duration")
	case c.RotateEvery < 0 || c.Grace < 0:
		return c, bad("rotate_every", "want non-negative durations")
	case c.Timeout <= 0:
		return c, bad("timeout", "want a positive duration")
	}
	return c, nil
}

// horizon is about when the last request is sent.
func (c Config) horizon() time.Duration {
	return time.Duration(float64(c.Clients*c.Requests)/c.Rate*float64(time.Second)) + c.Timeout
}
