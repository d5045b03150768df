package ohttp

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
)

// fakeClock is a settable clock for keyring tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// recorder collects facts.
type recorder struct{ events []model.Event }

func (r *recorder) Record(name string, args ...model.Term) {
	r.events = append(r.events, model.Event{Kind: model.Fact, Name: name, Args: args})
}

func (r *recorder) named(name string) []model.Event {
	var out []model.Event
	for _, e := range r.events {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func testKey(t testing.TB, rng *rand.ChaCha8, id uint8) *PrivateKey {
	t.Helper()
	k, err := GenerateKey(rng, id, KEMX25519HKDFSHA256, []SymmetricSuite{{KDFHKDFSHA256, AEADAES128GCM}})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKeyringRotationTimeline walks a key through publication, rotation,
// its grace period and expiry, checking at each step what is published and
// what decrypts.
func TestKeyringRotationTimeline(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{'k'})
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	rec := &recorder{}
	k1 := testKey(t, rng, 1)
	ring, err := NewKeyring(KeyringConfig{Now: clk.Now, Grace: 10 * time.Minute, RotateEvery: time.Hour, Recorder: rec, Gateway: "gw"}, k1)
	if err != nil {
		t.Fatal(err)
	}
	seal := func(k *PrivateKey) []byte {
		ereq, _, err := EncapsulateRequest(rng, k.Config(), k.Config().Suites[0], []byte("req"))
		if err != nil {
			t.Fatal(err)
		}
		return ereq
	}
	opens := func(ereq []byte) error { _, _, err := DecapsulateRequest(ring, ereq); return err }
	published := func() []uint8 {
		var ids []uint8
		for _, c := range ring.Published() {
			ids = append(ids, c.KeyID)
		}
		return ids
	}
	old := seal(k1)

	// t=0: key 1 published, max-age runs to the scheduled rotation.
	if got := published(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("t=0 published %v", got)
	}
	if got := ring.MaxAge(); got != time.Hour {
		t.Fatalf("t=0 max-age %v, want 1h", got)
	}
	clk.Advance(45 * time.Minute)
	if got := ring.MaxAge(); got != 15*time.Minute {
		t.Fatalf("t=45m max-age %v, want 15m", got)
	}
	if rotated, _ := ring.MaybeRotate(rng); rotated {
		t.Fatal("rotated before schedule")
	}

	// t=1h: the schedule rotates to key 2.
	clk.Advance(15 * time.Minute)
	rotated, err := ring.MaybeRotate(rng)
	if err != nil || !rotated {
		t.Fatalf("MaybeRotate at 1h: %v, %v", rotated, err)
	}
	if got := published(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("after rotation published %v, want [2]", got)
	}
	k2, err := ring.Lookup(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := opens(seal(k2)); err != nil {
		t.Fatalf("new key: %v", err)
	}
	// Within the grace period the old key still decrypts.
	clk.Advance(9*time.Minute + 59*time.Second)
	if err := opens(old); err != nil {
		t.Fatalf("old key inside grace: %v", err)
	}
	// At the end of the grace period it stops.
	clk.Advance(time.Second)
	if err := opens(old); !errors.Is(err, ErrUnknownKeyID) {
		t.Fatalf("old key after grace: %v, want ErrUnknownKeyID", err)
	}
	if err := opens(seal(k2)); err != nil {
		t.Fatalf("new key after grace: %v", err)
	}
	// Key 1's ID is free again once key 1 is gone.
	if err := ring.Publish(testKey(t, rng, 1)); err != nil {
		t.Fatalf("reusing expired key ID: %v", err)
	}
	if err := ring.Publish(testKey(t, rng, 2)); !errors.Is(err, ErrKeyIDInUse) {
		t.Fatalf("duplicate key ID: %v", err)
	}
	// Each publication was recorded once, as KeyPublish(G, kid, pk).
	facts := rec.named(FactKeyPublish)
	if len(facts) != 3 {
		t.Fatalf("%d KeyPublish facts, want 3", len(facts))
	}
	if len(facts[1].Args) != FactArity[FactKeyPublish] || facts[1].Args[0].String() != "$gw" || facts[1].Args[1].String() != "'2'" {
		t.Fatalf("KeyPublish fact %v", facts[1])
	}
}

func TestKeyringRotateByHand(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{'h'})
	clk := &fakeClock{t: time.Unix(0, 0)}
	ring, err := NewKeyring(KeyringConfig{Now: clk.Now, Grace: time.Minute}, testKey(t, rng, 7))
	if err != nil {
		t.Fatal(err)
	}
	if ring.MaxAge() != defaultKeysMaxAge {
		t.Fatalf("unscheduled max-age %v", ring.MaxAge())
	}
	if rotated, _ := ring.MaybeRotate(rng); rotated {
		t.Fatal("MaybeRotate rotated without a schedule")
	}
	if err := ring.Rotate(testKey(t, rng, 7)); !errors.Is(err, ErrKeyIDInUse) {
		t.Fatalf("rotating to a key ID in use: %v", err)
	}
	if err := ring.Rotate(testKey(t, rng, 8)); err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Lookup(7); err != nil {
		t.Fatalf("retiring key: %v", err)
	}
	clk.Advance(time.Minute)
	if _, err := ring.Lookup(7); !errors.Is(err, ErrUnknownKeyID) {
		t.Fatalf("expired key: %v", err)
	}
	if _, err := NewKeyring(KeyringConfig{}, testKey(t, rng, 1)); !errors.Is(err, ErrNoClock) {
		t.Fatalf("no clock: %v", err)
	}
	if _, err := NewKeyring(KeyringConfig{Now: clk.Now}); !errors.Is(err, ErrNoKeys) {
		t.Fatalf("no keys: %v", err)
	}
}
