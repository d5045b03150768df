package sim

// A deliberately small durable key-value store, to show that the disk,
// crash and restart wiring catches a real class of bug: with buggy set it
// acknowledges a write before syncing it (a background task syncs every
// 100ms), so a crash between the acknowledgement and the sync loses a
// write the client was told is stored. The property ackedWritesSurvive
// catches it; the correct store passes under the same plans.
//
// The toy is reusable: runToyKV takes any plan (whose faults name the
// nodes "kv" and "client"), so plan generators and shrinkers can search
// for the crash that breaks the buggy store.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/plan"
)

// toyKVPlan crashes the store twice, with torn writes, while the client
// writes.
const toyKVPlan = `{
  "limit": "6s",
  "knobs": {"writes": 100},
  "network": {"default": {"latency": {"dist": "uniform", "min": "1ms", "max": "4ms"}}},
  "nodes": {"kv": {"disk": {"torn_write_prob": 0.5}}},
  "faults": [
    {"at": "1050ms", "kind": "crash", "node": "kv", "for": "300ms"},
    {"at": "2930ms", "kind": "crash", "node": "kv", "for": "200ms"}
  ]
}`

const toyLog = "kv.log"

// toyKV is the store on node "kv": an append-only log of "key=value"
// lines, replayed into a map at boot.
type toyKV struct {
	s     *Sim
	buggy bool
	log   env.File // the current incarnation's log, nil until booted
	state map[string]string
	acks  []toyAck
	boots []toyBoot
}

// toyAck is a write the store acknowledged, and when.
type toyAck struct {
	key, value string
	at         time.Duration
}

// toyBoot is the state a boot recovered from disk, and when.
type toyBoot struct {
	at    time.Duration
	state map[string]string
}

// boot replays the log. A torn last line (a crash in the middle of an
// unsynced append) is cut off by rewriting the valid prefix through a
// synced temporary file and a rename, so later appends start on a line.
func (kv *toyKV) boot(env env.Env) {
	d := env.Disk()
	data, err := d.ReadFile(toyLog)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		env.Record("BootFailed", model.NewConst(err.Error()))
		return
	}
	state, valid := parseToyLog(data)
	kv.boots = append(kv.boots, toyBoot{at: kv.s.Now(), state: maps.Clone(state)})
	env.Record("Recovered", model.NewConst(strconv.Itoa(len(state))))
	if valid < len(data) {
		if err := rewriteToyLog(d, data[:valid]); err != nil {
			env.Record("BootFailed", model.NewConst(err.Error()))
			return
		}
	}
	f, err := d.OpenFile(toyLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND)
	if err == nil {
		err = d.SyncDir(".")
	}
	if err != nil {
		env.Record("BootFailed", model.NewConst(err.Error()))
		return
	}
	kv.log, kv.state = f, state
	if kv.buggy {
		env.Go("flusher", func() {
			for {
				env.Sleep(100 * time.Millisecond)
				f.Sync()
			}
		})
	}
}

// parseToyLog returns the state the log describes and the length of its
// valid prefix (complete lines of the form key=value).
func parseToyLog(data []byte) (map[string]string, int) {
	state := map[string]string{}
	valid := 0
	for {
		line, rest, ok := bytes.Cut(data[valid:], []byte("\n"))
		if !ok {
			return state, valid
		}
		k, v, ok := strings.Cut(string(line), "=")
		if !ok || k == "" {
			return state, valid
		}
		state[k] = v
		valid = len(data) - len(rest)
	}
}

func rewriteToyLog(d env.Disk, valid []byte) error {
	f, err := d.OpenFile(toyLog+".tmp", os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
	if err != nil {
		return err
	}
	if _, err := f.Write(valid); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	f.Close()
	if err := d.Rename(toyLog+".tmp", toyLog); err != nil {
		return err
	}
	return d.SyncDir(".")
}

// ServeHTTP handles PUT /put?key=K&value=V.
func (kv *toyKV) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut || r.URL.Path != "/put" {
		http.NotFound(w, r)
		return
	}
	if kv.log == nil {
		http.Error(w, "not booted", http.StatusServiceUnavailable)
		return
	}
	k, v := r.URL.Query().Get("key"), r.URL.Query().Get("value")
	if k == "" || strings.ContainsAny(k+v, "=\n") {
		http.Error(w, "bad key or value", http.StatusBadRequest)
		return
	}
	if _, err := kv.log.Write([]byte(k + "=" + v + "\n")); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if !kv.buggy {
		if err := kv.log.Sync(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	kv.state[k] = v
	kv.acks = append(kv.acks, toyAck{key: k, value: v, at: kv.s.Now()})
	w.WriteHeader(http.StatusNoContent)
}

// toyRun is the outcome of one run of the toy world.
type toyRun struct {
	kv       *toyKV
	acked    int // acknowledgements the client received
	attempts int
	trace    *model.Trace
}

// runToyKV runs the toy world under plan: a client on node "client"
// writes the keys k0, k1, ... (knob "writes", default 50) to the store on
// node "kv", one at a time, 20–60ms apart, each with a 200ms deadline.
func runToyKV(seed uint64, p *plan.Plan, buggy bool) (*toyRun, error) {
	if err := p.CheckKnobs("writes"); err != nil {
		return nil, err
	}
	writes, err := p.KnobInt("writes", 50)
	if err != nil {
		return nil, err
	}
	s := New(Config{Seed: seed, Limit: time.Minute})
	kv := &toyKV{s: s, buggy: buggy}
	kvNode, cl := s.AddNode("kv"), s.AddNode("client")
	kvNode.HostHTTP(80, kv)
	kvNode.Start(kv.boot)
	run := &toyRun{kv: kv}
	cl.Start(func(env env.Env) {
		hc := &http.Client{Transport: env.Transport()}
		var b [1]byte
		for i := range writes {
			env.Rand().Read(b[:])
			env.Sleep(time.Duration(20+int(b[0])%41) * time.Millisecond)
			run.attempts++
			if toyPut(env, hc, "k"+strconv.Itoa(i), "v"+strconv.Itoa(i)) {
				run.acked++
			}
		}
	})
	if err := s.Apply(p); err != nil {
		return nil, err
	}
	if _, err := s.Run(); err != nil {
		return nil, err
	}
	run.trace = s.Trace()
	return run, nil
}

func toyPut(env env.Env, hc *http.Client, k, v string) bool {
	ctx, cancel := env.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	u := "http://kv/put?" + url.Values{"key": {k}, "value": {v}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, nil)
	if err != nil {
		return false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusNoContent
}

// ackedWritesSurvive is the property: every write the store acknowledged
// is in the state each later boot recovers from its disk.
func (r *toyRun) ackedWritesSurvive() error {
	for _, b := range r.kv.boots {
		for _, a := range r.kv.acks {
			if a.at < b.at && b.state[a.key] != a.value {
				return fmt.Errorf("toykv: %s=%s was acknowledged at %v but the boot at %v recovered %q", a.key, a.value, a.at, b.at, b.state[a.key])
			}
		}
	}
	return nil
}

func TestToyKVSurvivesCrashes(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		r, err := runToyKV(seed, mustPlan(t, toyKVPlan), false)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.ackedWritesSurvive(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if len(r.kv.boots) != 3 || r.acked < r.attempts/2 {
			t.Fatalf("seed %d: %d boots, %d of %d writes acknowledged: the workload did not run", seed, len(r.kv.boots), r.acked, r.attempts)
		}
	}
}

func TestToyKVAckBeforeSyncIsCaught(t *testing.T) {
	caught := 0
	for seed := uint64(1); seed <= 5; seed++ {
		r, err := runToyKV(seed, mustPlan(t, toyKVPlan), true)
		if err != nil {
			t.Fatal(err)
		}
		if r.ackedWritesSurvive() != nil {
			caught++
		}
	}
	// Each crash comes 50–80ms after a flush, while writes are ~40ms
	// apart: every seed has an acknowledged, unsynced write to lose.
	if caught != 5 {
		t.Fatalf("%d of 5 seeds caught the store that acknowledges before syncing", caught)
	}
	// Without a crash the bug is invisible: the property is about crashes.
	r, err := runToyKV(1, mustPlan(t, `{"knobs": {"writes": 30}}`), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ackedWritesSurvive(); err != nil {
		t.Fatal(err)
	}
}
