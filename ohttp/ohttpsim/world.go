package ohttpsim

// This file builds and runs the world: nodes, the real ohttp roles on
// them, the workload scheduled at its virtual times, the plan's faults.

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/link"
	"github.com/edgelab/edgelab/sim/plan"
)

// Options vary a run beyond its plan.
type Options struct {
	// Bugs switches seeded bugs on in every role.
	Bugs ohttp.Bugs
	// Workload replaces the one drawn from the seed (a swapped one).
	Workload Workload
	// Symmetric gives every client the same fixed link to and from the
	// relay, so which client sends a request cannot change when it
	// arrives. Swap equivalence runs with it.
	Symmetric bool
}

// Stats counts what the clients and the gateway did. Glossary explains
// each counter for people reading a run's figures.
type Stats struct {
	// Slots is the workload's size; Sent counts requests a live client
	// started. A sent request ends Answered, TimedOut (its deadline
	// passed first), Mismatched (an answer that was not for it) or Failed
	// (no key configuration could be fetched, a transport error, or the
	// gateway's own error status), or it is Unfinished.
	Slots, Sent, Answered, TimedOut, Mismatched, Failed int
	// KeyFetches counts key-configuration fetches, Retries requests
	// resent after a key problem, Rotations key rotations.
	KeyFetches, Retries, Rotations int
}

// Result is one run.
type Result struct {
	Seed     uint64
	Config   Config
	Bugs     ohttp.Bugs
	Workload Workload
	Stats    Stats
	Report   *sim.Report
	Trace    *model.Trace
	// Addrs maps node names to their IPv4 addresses.
	Addrs map[string]string
	// KeyFetchFailed is set if some client could not get keys at boot.
	KeyFetchFailed bool
	// Verdicts are filled by Evaluate (and Run).
	Verdicts []Verdict
}

// symmetricLink is the client<->relay link of a Symmetric run.
var symmetricLink = link.Params{Latency: link.Fixed(2 * time.Millisecond)}

// Simulate runs the world once with seed under plan (nil: defaults, no
// faults) and returns the run without judging it.
func Simulate(seed uint64, p *plan.Plan, opts Options) (*Result, error) {
	cfg, err := ConfigFrom(p)
	if err != nil {
		return nil, err
	}
	wl := opts.Workload
	if wl == nil {
		wl = NewWorkload(seed, cfg)
	}
	for _, s := range wl {
		if s.Client < 1 || s.Client > cfg.Clients {
			return nil, fmt.Errorf("ohttpsim: workload slot %d names client %d of %d", s.Index, s.Client, cfg.Clients)
		}
	}
	end := cfg.Timeout
	if len(wl) > 0 {
		end += wl[len(wl)-1].At
	}
	s := sim.New(sim.Config{Seed: seed, Limit: end + 3*cfg.Timeout + 5*time.Second})
	w := &run{s: s, cfg: cfg, seed: seed, bugs: opts.Bugs, res: &Result{
		Seed: seed, Config: cfg, Bugs: opts.Bugs, Workload: wl, Addrs: map[string]string{},
	}}
	// Nodes first, then the plan (which sets their clocks), then the
	// services: the gateway's first key is published on its clock as
	// the plan sets it, not before an offset is applied.
	for _, name := range nodeNames(cfg) {
		n := s.AddNode(name)
		w.res.Addrs[name] = n.Addr4().String()
	}
	if err := s.Apply(p); err != nil {
		return nil, err
	}
	if err := w.build(end); err != nil {
		return nil, err
	}
	if opts.Symmetric {
		for _, c := range w.clients {
			s.Net().SetLink(c.n.Name(), c.relay, symmetricLink)
			s.Net().SetLink(c.relay, c.n.Name(), symmetricLink)
		}
	}
	w.res.Stats.Slots = len(wl)
	w.workload, w.symmetric = wl, opts.Symmetric
	if !opts.Symmetric {
		w.schedule()
	}
	rep, err := s.Run()
	if err != nil {
		return nil, err
	}
	w.res.Report = rep
	w.res.Trace = observationsAsNotes(s.Trace())
	return w.res, nil
}

// run is a run under construction.
type run struct {
	s       *sim.Sim
	cfg     Config
	seed    uint64
	bugs    ohttp.Bugs
	res     *Result
	clients []*clientNode
	rings   map[string]*ohttp.Keyring // by gateway

	workload  Workload
	symmetric bool
	booted    int // clients whose first key fetch has ended
}

// schedule starts each request of the workload at its time (or now, if
// that has passed), in slot order.
func (w *run) schedule() {
	for _, slot := range w.workload {
		c := w.clients[slot.Client-1]
		w.s.At(slot.At, func() { c.n.Go("request", func() { c.send(slot) }) })
	}
}

// firstFetchDone notes that a client's first key fetch ended. In a
// symmetric run the workload waits for every client's: otherwise a
// request would wait for its client's own fetch, whose timing depends on
// which client it is, and swap equivalence would compare that instead.
func (w *run) firstFetchDone(ok bool) {
	if !ok {
		w.res.KeyFetchFailed = true
	}
	w.booted++
	if w.symmetric && w.booted == len(w.clients) {
		w.schedule()
	}
}

func (w *run) build(end time.Duration) error {
	target := w.s.Node(TargetNode)
	targetAddr := target.Addr4().String()
	w.rings = map[string]*ohttp.Keyring{}
	for _, name := range w.cfg.gateways() {
		if err := w.buildGateway(w.s.Node(name), targetAddr, end); err != nil {
			return err
		}
	}
	target.HostHTTP(80, observeHandler(target.Env(), targetHandler(target.Env().Rand())))
	for _, name := range w.cfg.relays() {
		w.buildRelay(w.s.Node(name))
	}
	for i := 1; i <= w.cfg.Clients; i++ {
		n := w.s.Node(ClientNode(i))
		relay := w.cfg.relayOf(i)
		c := &clientNode{w: w, n: n, addr: n.Addr4().String(), relay: relay,
			gateway: w.cfg.gatewayOf(relay), target: "http://" + targetAddr}
		w.clients = append(w.clients, c)
		n.Start(c.boot)
	}
	return nil
}

// buildGateway puts a gateway on gw: a keyring on the node's clock,
// rotated by a task, and the Oblivious Gateway Resource.
func (w *run) buildGateway(gw *sim.Node, targetAddr string, end time.Duration) error {
	genv := gw.Env()
	key, err := ohttp.GenerateKey(genv.Rand(), 1, ohttp.KEMX25519HKDFSHA256,
		[]ohttp.SymmetricSuite{{KDF: ohttp.KDFHKDFSHA256, AEAD: ohttp.AEADAES128GCM}})
	if err != nil {
		return err
	}
	ring, err := ohttp.NewKeyring(ohttp.KeyringConfig{
		Now: genv.Now, Grace: w.cfg.Grace, RotateEvery: w.cfg.RotateEvery,
		Recorder: genv, Gateway: gw.Name(),
	}, key)
	if err != nil {
		return err
	}
	w.rings[gw.Name()] = ring
	gateway := &ohttp.Gateway{
		Name: gw.Name(), Keys: ring,
		Transport: &observeTransport{env: genv, rt: genv.Transport()},
		Rand:      genv.Rand(),
		Policy: &ohttp.TargetPolicy{
			Allow: []string{targetAddr}, Schemes: []string{"http"},
			AllowedPrefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		},
		TargetTimeout: time.Second, WithTimeout: withTimeout(genv),
		Recorder: genv, Bugs: w.bugs,
	}
	gw.HostHTTP(80, observeHandler(genv, ohttp.LimitBodies(genv, ohttp.BodyLimits{}, gateway)))
	// The rotation loop stops at end on the node's clock, so the run can
	// go quiescent.
	gw.Start(func(e env.Env) {
		ohttp.RunRotation(context.Background(), e, ring, sim.Epoch.Add(end), func() { w.res.Stats.Rotations++ })
	})
	return nil
}

// buildRelay puts the Oblivious Relay Resource, behind the mixer, and the
// key proxy on a relay node; both talk to the relay's gateway.
func (w *run) buildRelay(relay *sim.Node) {
	renv := relay.Env()
	mix := ohttp.NewMixer(renv, ohttp.MixConfig{Batch: w.cfg.Batch, BatchTimeout: w.cfg.BatchTimeout, Delay: w.cfg.Delay})
	relay.OnCrash(mix.Reset)
	gw := w.cfg.gatewayOf(relay.Name())
	rl := &ohttp.Relay{
		GatewayURL:  "http://" + gw + ohttp.WellKnownPath,
		GatewayName: gw,
		Transport:   &observeTransport{env: renv, rt: renv.Transport()},
		Recorder:    renv, Bugs: w.bugs, DebugKeys: w.rings[gw],
		Identity: relay.Addr4().String(),
	}
	// The body limits go outside the mixer: a request it holds is still a
	// connection and a body some client can keep waiting.
	relay.HostHTTP(80, observeHandler(renv, deadline(renv, relayDeadline, ohttp.LimitBodies(renv, ohttp.BodyLimits{}, mix.Wrap(rl)))))
	relay.HostHTTP(8080, observeHandler(renv, &ohttp.KeyProxy{Env: renv, GatewayKeysURL: "http://" + gw + ohttp.WellKnownPath, Transport: renv.Transport()}))
}
