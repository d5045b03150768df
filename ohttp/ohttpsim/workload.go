package ohttpsim

// This file draws the workload: which client asks what, when. Everything
// is derived from the seed and the slot number alone — arrival times, the
// request's path and body, and the HPKE randomness the request is sealed
// with — so exchanging the clients of two slots (Swap) changes who sends
// those requests and nothing else. That is what makes swap equivalence a
// meaningful comparison rather than a trivially failing one.

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Slot is one request of the workload.
type Slot struct {
	Index  int
	At     time.Duration // virtual time it is sent
	Client int           // 1-based client number
	Path   string
	Body   []byte
}

// Workload is the requests of a run, in slot (time) order.
type Workload []Slot

// streamSeed derives a ChaCha8 key from the run seed and a label.
func streamSeed(seed uint64, label string) [32]byte {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(label))
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// NewWorkload draws the workload of cfg under seed.
func NewWorkload(seed uint64, cfg Config) Workload {
	r := rand.New(rand.NewChaCha8(streamSeed(seed, "workload")))
	n := cfg.Clients * cfg.Requests
	w := make(Workload, n)
	t := 100 * time.Millisecond // after the clients have fetched keys
	for i := range n {
		gap := -math.Log(1-r.Float64()) / cfg.Rate
		t += time.Duration(gap * float64(time.Second))
		body := make([]byte, cfg.Size)
		for j := range body {
			body[j] = byte('a' + r.IntN(26))
		}
		// The slot number in the body makes every request distinct.
		copy(body, "slot="+strconv.Itoa(i)+";")
		w[i] = Slot{Index: i, At: t, Client: 1 + r.IntN(cfg.Clients), Path: "/echo/" + hex.EncodeToString(body[len(body)/2:][:min(4, len(body)/2)]), Body: body}
	}
	return w
}

// Swap returns a copy of w with the clients of slots a and b exchanged.
func (w Workload) Swap(a, b int) Workload {
	out := append(Workload(nil), w...)
	out[a].Client, out[b].Client = w[b].Client, w[a].Client
	return out
}

// SwapPair picks the slots a swap test exchanges: the last request of the
// first two clients of one relay that both send, or false if no relay
// has two sending clients. The last, so that state a client carries from
// its earlier requests (a reused HPKE context) shows in the swapped one.
// Clients of one relay, since which relay a request came through is
// visible to the gateway by design.
func (w Workload) SwapPair(cfg Config) (a, b int, ok bool) {
	last := map[int]int{}
	var order []int
	for _, s := range w {
		if _, seen := last[s.Client]; !seen {
			order = append(order, s.Client)
		}
		last[s.Client] = s.Index
	}
	for i, x := range order {
		for _, y := range order[i+1:] {
			if cfg.relayOf(x) == cfg.relayOf(y) {
				return last[x], last[y], true
			}
		}
	}
	return 0, 0, false
}

// slotRand is the HPKE randomness of one slot.
func slotRand(seed uint64, slot int) io.Reader {
	return rand.NewChaCha8(streamSeed(seed, "slot/"+strconv.Itoa(slot)))
}
