// Package pingworld is the smallest simulated world: clients ping servers
// over HTTP — a real http.Handler, the real net/http client over the
// simulator's transport — through a faulty network, and count what was
// answered and what timed out. It exercises the kernel end to end and is
// the template for the service worlds.
package pingworld

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/world"
)

// Name is the world's name in plans and on the command line.
const Name = "ping"

// DefaultSeed is the seed `edgelab` runs the world with by default.
const DefaultSeed = 1

// Config is the workload. Plans set it through knobs of the same names:
// "clients", "servers", "pings" (per client), "interval" and "timeout".
type Config struct {
	Clients  int
	Servers  int
	Pings    int
	Interval time.Duration
	Timeout  time.Duration
}

// DefaultConfig is the workload when a plan sets no knobs.
func DefaultConfig() Config {
	return Config{Clients: 3, Servers: 2, Pings: 50, Interval: 200 * time.Millisecond, Timeout: 500 * time.Millisecond}
}

// Knobs lists the plan knobs the world understands.
var Knobs = []string{"clients", "servers", "pings", "interval", "timeout"}

// ConfigFrom reads the workload from the plan's knobs over the defaults.
func ConfigFrom(p *plan.Plan) (Config, error) {
	c := DefaultConfig()
	if err := p.CheckKnobs(Knobs...); err != nil {
		return c, err
	}
	var err error
	if c.Clients, err = p.KnobInt("clients", c.Clients); err != nil {
		return c, err
	}
	if c.Servers, err = p.KnobInt("servers", c.Servers); err != nil {
		return c, err
	}
	if c.Pings, err = p.KnobInt("pings", c.Pings); err != nil {
		return c, err
	}
	if c.Interval, err = p.KnobDuration("interval", c.Interval); err != nil {
		return c, err
	}
	if c.Timeout, err = p.KnobDuration("timeout", c.Timeout); err != nil {
		return c, err
	}
	switch {
	case c.Clients < 1 || c.Clients > 1000:
		return c, &plan.Error{Field: "knobs.clients", Err: errors.New("want 1 to 1000")}
	case c.Servers < 1 || c.Servers > 1000:
		return c, &plan.Error{Field: "knobs.servers", Err: errors.New("want 1 to 1000")}
	case c.Pings < 0 || c.Pings > 100000:
		return c, &plan.Error{Field: "knobs.pings", Err: errors.New("want 0 to 100000")}
	case c.Interval <= 0:
		return c, &plan.Error{Field: "knobs.interval", Err: errors.New("want a positive duration")}
	case c.Timeout <= 0:
		return c, &plan.Error{Field: "knobs.timeout", Err: errors.New("want a positive duration")}
	}
	return c, nil
}

// DefaultPlan is what the world runs without a plan: a lossy, jittery
// network with a partition, a swizzle, a hold and a server crash.
const DefaultPlan = `{
  "world": "ping",
  "network": {
    "default": {
      "latency": {"dist": "lognormal", "min": "1ms", "median": "4ms", "sigma": 0.5},
      "loss": 0.02, "dup": 0.01, "reorder": 0.05, "reorder_delay": "20ms",
      "bandwidth": 1000000
    }
  },
  "faults": [
    {"at": "2s", "kind": "partition", "from": ["client-1"], "to": ["server-1"], "for": "1s"},
    {"at": "4s", "kind": "swizzle", "span": "500ms", "step": "100ms"},
    {"at": "6s", "kind": "hold", "from": ["client-2"], "to": ["server-1"], "for": "300ms"},
    {"at": "7s", "kind": "crash", "node": "server-2", "for": "500ms"}
  ]
}`

// Result is the outcome of a run.
type Result struct {
	Seed   uint64
	Config Config
	// Sent counts pings; each ends Answered, TimedOut or Failed.
	Sent, Answered, TimedOut, Failed int
	// Served counts handler calls (duplicated requests are served twice).
	Served int
	// Healed reports that the plan healed the run (Plan.HealAt);
	// HealedSent and HealedAnswered count the pings sent after that and
	// those of them answered.
	Healed                     bool
	HealedSent, HealedAnswered int
	Report                     *sim.Report
	Trace                      *model.Trace
}

// Check returns nil if the run kept the world's invariants: every ping
// accounted for, no answer that was not served, no other failure, nothing
// left blocked, and some pings answered — in a run that heals, every ping
// sent after healing. (Under faults that never stop, "some" is more than
// a correct world can promise: one ping into a partition is lost.)
func (r *Result) Check() error {
	switch {
	case r.Sent != r.Config.Clients*r.Config.Pings:
		return fmt.Errorf("pingworld: sent %d pings, want %d", r.Sent, r.Config.Clients*r.Config.Pings)
	case r.Sent != r.Answered+r.TimedOut+r.Failed:
		return fmt.Errorf("pingworld: %d sent != %d answered + %d timed out + %d failed", r.Sent, r.Answered, r.TimedOut, r.Failed)
	case r.Failed > 0:
		return fmt.Errorf("pingworld: %d pings failed other than by timeout", r.Failed)
	case r.Answered > r.Served:
		return fmt.Errorf("pingworld: %d answers but only %d requests served", r.Answered, r.Served)
	case len(r.Report.Blocked) > 0:
		return fmt.Errorf("pingworld: tasks left blocked: %v", r.Report.Blocked)
	case r.HealedAnswered < r.HealedSent:
		return fmt.Errorf("pingworld: %d of %d pings sent after healing went unanswered", r.HealedSent-r.HealedAnswered, r.HealedSent)
	case !r.Healed && r.Sent > 0 && r.Answered == 0:
		return errors.New("pingworld: no ping was answered")
	}
	return nil
}

// Glossary says what each counter of Figures means, in its order.
var Glossary = []world.Term{
	{Name: "sent", Meaning: "pings the clients sent (clients x knob pings)"},
	{Name: "answered", Meaning: "pings whose answer arrived before the client's timeout"},
	{Name: "timedout", Meaning: "pings whose timeout passed first (lost, clogged, partitioned or slow)"},
	{Name: "failed", Meaning: "pings that ended in any other error; Check requires none, and sent = answered + timedout + failed"},
	{Name: "served", Meaning: "requests the servers handled (a duplicated request is served twice, so served can exceed sent)"},
}

// Figures are the counts, in a fixed order.
func (r *Result) Figures() world.Figures {
	return world.Figures{
		{Name: "sent", Value: float64(r.Sent)}, {Name: "answered", Value: float64(r.Answered)},
		{Name: "timedout", Value: float64(r.TimedOut)}, {Name: "failed", Value: float64(r.Failed)},
		{Name: "served", Value: float64(r.Served)},
	}
}

// Run runs the world with seed under plan (nil: no faults, the default
// healthy network, default knobs). The error is about the plan or the
// simulator; a broken invariant is reported by Result.Check.
func Run(seed uint64, p *plan.Plan) (*Result, error) {
	cfg, err := ConfigFrom(p)
	if err != nil {
		return nil, err
	}
	s := sim.New(sim.Config{Seed: seed, Limit: time.Hour})
	res := &Result{Seed: seed, Config: cfg}
	var servers []string
	for i := 1; i <= cfg.Servers; i++ {
		n := s.AddNode("server-" + strconv.Itoa(i))
		servers = append(servers, n.Name())
		n.HostHTTP(80, pongHandler(n.Env(), &res.Served))
	}
	for i := 1; i <= cfg.Clients; i++ {
		n := s.AddNode("client-" + strconv.Itoa(i))
		n.Start(func(env env.Env) { client(env, cfg, servers, i, res, s.Healed) })
	}
	if err := s.Apply(p); err != nil {
		return nil, err
	}
	rep, err := s.Run()
	if err != nil {
		return nil, err
	}
	res.Report = rep
	res.Trace = s.Trace()
	res.Healed = s.Healed()
	return res, nil
}

// pongHandler answers /ping?from=C&seq=N with "pong C N".
func pongHandler(env env.Env, served *int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ping" {
			http.NotFound(w, r)
			return
		}
		from, seq := r.URL.Query().Get("from"), r.URL.Query().Get("seq")
		*served++
		env.Record("Pong", model.NewPub(from), model.NewConst(seq))
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "pong "+from+" "+seq)
	})
}

// client sends cfg.Pings pings, round-robin over the servers, at jittered
// intervals, each with its own deadline.
func client(env env.Env, cfg Config, servers []string, id int, res *Result, healed func() bool) {
	hc := &http.Client{Transport: env.Transport()}
	me := env.Node()
	var b [8]byte
	for k := range cfg.Pings {
		io.ReadFull(env.Rand(), b[:])
		jitter := time.Duration(binary.LittleEndian.Uint64(b[:]) % uint64(cfg.Interval))
		env.Sleep(cfg.Interval/2 + jitter)
		server := servers[(id+k)%len(servers)]
		seq := strconv.Itoa(k)
		res.Sent++
		afterHeal := healed()
		if afterHeal {
			res.HealedSent++
		}
		env.Record("Ping", model.NewPub(me), model.NewPub(server), model.NewConst(seq))
		switch err := ping(env, hc, server, me, seq, cfg.Timeout); {
		case err == nil:
			res.Answered++
			if afterHeal {
				res.HealedAnswered++
			}
			env.Record("PingOK", model.NewPub(me), model.NewConst(seq))
		case errors.Is(err, context.DeadlineExceeded):
			res.TimedOut++
			env.Record("PingTimeout", model.NewPub(me), model.NewConst(seq))
		default:
			res.Failed++
			env.Record("PingFailed", model.NewPub(me), model.NewConst(seq), model.NewConst(err.Error()))
		}
	}
}

func ping(env env.Env, hc *http.Client, server, me, seq string, timeout time.Duration) error {
	ctx, cancel := env.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+server+"/ping?from="+me+"&seq="+seq, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "pong "+me+" "+seq {
		return fmt.Errorf("bad answer %d %q", resp.StatusCode, body)
	}
	return nil
}
