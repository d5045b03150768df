package simtest_test

// A deliberately broken toy key-value service, the acceptance test of the
// plan generators: the server appends each write to a log file and
// acknowledges it before the log is synced, syncing a little later. A
// crash of the server after the acknowledgement reaches the client and
// before the sync loses a write the client was told is stored. A property
// over plans full of random faults and noise must catch it, and rapid
// must shrink the plan to the one fault that matters: a crash of kv, on a
// quiet network.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/disk"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/world"
)

const (
	toyInterval  = 250 * time.Millisecond // between a client's writes
	toySyncDelay = 200 * time.Millisecond // from ack to fsync (the bug)
)

var toyShape = plan.Shape{
	World: "toykv",
	Knobs: []plan.KnobRange{{Name: "writes", Min: 1, Max: 8, SoakMax: 40}},
	Nodes: func(*plan.Plan) ([]string, error) { return []string{"client", "kv"}, nil },
	Horizon: func(p *plan.Plan) time.Duration {
		n, _ := p.KnobInt("writes", 1)
		return time.Duration(n+1) * toyInterval
	},
}

// toy is the toy as a world; fixed makes the server sync before it acks.
type toy struct{ fixed bool }

func (toy) Name() string            { return toyShape.World }
func (toy) Summary() string         { return "a key-value store that acknowledges before it syncs" }
func (toy) DefaultSeed() uint64     { return 1 }
func (toy) DefaultPlan() *plan.Plan { return nil }
func (toy) Shape() plan.Shape       { return toyShape }

func (t toy) Run(seed uint64, p *plan.Plan, opts world.Options) (*world.Outcome, error) {
	if err := world.CheckBugs(t, opts); err != nil {
		return nil, err
	}
	r, tr, err := runToy(seed, p, t.fixed)
	if err != nil {
		return nil, err
	}
	o := &world.Outcome{Trace: tr, Figures: world.Figures{{Name: "acked", Value: float64(len(r.acked))}}}
	if err := ackedAreDurable(r); err != nil {
		o.Violations = []world.Violation{{Property: "durable", Message: err.Error()}}
	}
	return o, nil
}

// toyResult is what the property looks at.
type toyResult struct {
	acked   []string
	durable map[string]bool
}

// ackedAreDurable is the property: every acknowledged write survives.
func ackedAreDurable(r *toyResult) error {
	for _, k := range r.acked {
		if !r.durable[k] {
			return fmt.Errorf("toykv: acknowledged write %s is not on disk", k)
		}
	}
	return nil
}

// runToy runs the toy; fixed makes the server sync before it acks.
func runToy(seed uint64, p *plan.Plan, fixed bool) (*toyResult, *model.Trace, error) {
	if err := p.CheckKnobs("writes"); err != nil {
		return nil, nil, err
	}
	writes, err := p.KnobInt("writes", 3)
	if err != nil {
		return nil, nil, err
	}
	s := sim.New(sim.Config{Seed: seed})
	pl, err := disk.NewMemDisk(disk.Config{})
	if err != nil {
		return nil, nil, err
	}
	kv := s.AddNode("kv")
	var wal env.File // the current incarnation's open log
	kv.OnCrash(func() { pl.Crash(nil) })
	kv.Start(func(env env.Env) {
		f, err := pl.OpenFile("log", os.O_CREATE|os.O_WRONLY|os.O_APPEND)
		if err == nil {
			err = pl.SyncDir(".")
		}
		if err != nil {
			panic(err)
		}
		wal = f
	})
	kv.HostHTTP(80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env := kv.Env()
		f := wal
		if _, err := io.WriteString(f, r.URL.Query().Get("k")+"\n"); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if fixed {
			if err := f.Sync(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		} else {
			env.Go("sync", func() { env.Sleep(toySyncDelay); f.Sync() })
		}
		io.WriteString(w, "stored")
	}))
	res := &toyResult{}
	cl := s.AddNode("client")
	cl.Start(func(env env.Env) {
		hc := &http.Client{Transport: env.Transport()}
		for i := range writes {
			env.Sleep(toyInterval)
			k := "k" + strconv.Itoa(i)
			ctx, cancel := env.WithTimeout(context.Background(), toyInterval/2)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "http://kv/put?k="+k, nil)
			if resp, err := hc.Do(req); err == nil {
				io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					res.acked = append(res.acked, k)
					env.Record("Acked", model.NewConst(k))
				}
			}
			cancel()
		}
	})
	if err := s.Apply(p); err != nil {
		return nil, nil, err
	}
	if _, err := s.Run(); err != nil {
		return nil, s.Trace(), err
	}
	data, err := pl.Durable().ReadFile("log")
	if err != nil {
		return nil, s.Trace(), err
	}
	res.durable = map[string]bool{}
	for _, k := range strings.Fields(string(data)) {
		res.durable[k] = true
	}
	return res, s.Trace(), nil
}
