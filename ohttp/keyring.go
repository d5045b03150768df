package ohttp

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/edgelab/edgelab/model"
)

// Keyring holds a gateway's keys by key ID and rotates them.
//
// A key is either published (clients are told to use it, and it decrypts)
// or retiring (it still decrypts until its grace period ends, so clients
// that fetched the configuration just before a rotation are not cut off,
// but it is no longer offered). After the grace period it is forgotten and
// requests for it fail as for an unknown key. A third kind, unlisted (it
// decrypts but is offered to no one), exists only for the seeded bug
// BugGatewayKeyPartition; it retires with the published keys at the next
// rotation. Time comes only from the injected clock.
type Keyring struct {
	now         func() time.Time
	grace       time.Duration
	rotateEvery time.Duration
	rec         model.Recorder
	name        string

	mu        sync.Mutex
	keys      []*ringKey // published first, in publication order, then retiring and unlisted
	rotations uint64     // counts rotations, so MaybeRotate can tell it raced
}

type ringKey struct {
	key       *PrivateKey
	published time.Time // when it was published
	retireAt  time.Time // zero while published; else when it stops decrypting
	// unlisted keys decrypt but are in no published configuration; only
	// a seeded bug (BugGatewayKeyPartition) installs them.
	unlisted bool
}

// listed reports whether e is in the configuration every client gets.
func (e *ringKey) listed() bool { return e.retireAt.IsZero() && !e.unlisted }

// KeyringConfig configures a Keyring.
type KeyringConfig struct {
	// Now is the clock. Required.
	Now func() time.Time
	// Grace is how long a replaced key keeps decrypting.
	Grace time.Duration
	// RotateEvery is the rotation schedule: MaybeRotate replaces the
	// current key once it is this old, and the discovery endpoint's
	// Cache-Control max-age never runs past the next rotation. Zero means
	// keys are rotated only by hand.
	RotateEvery time.Duration
	// Recorder, if set, receives a KeyPublish fact for every key the ring
	// publishes; Gateway names the gateway in those facts.
	Recorder model.Recorder
	Gateway  string
}

// Keyring errors.
var (
	ErrUnknownKeyID = errors.New("ohttp: unknown key identifier")
	ErrKeyIDInUse   = errors.New("ohttp: key identifier already in use")
	ErrNoClock      = errors.New("ohttp: no clock")
	ErrNoKeys       = errors.New("ohttp: keyring has no published key")
)

// NewKeyring returns a keyring that publishes keys (at least one).
func NewKeyring(cfg KeyringConfig, keys ...*PrivateKey) (*Keyring, error) {
	if cfg.Now == nil {
		return nil, ErrNoClock
	}
	if len(keys) == 0 {
		return nil, ErrNoKeys
	}
	r := &Keyring{now: cfg.Now, grace: cfg.Grace, rotateEvery: cfg.RotateEvery, rec: cfg.Recorder, name: cfg.Gateway}
	for _, k := range keys {
		if err := r.Publish(k); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// expire forgets keys whose grace period is over. Callers hold r.mu.
func (r *Keyring) expire(now time.Time) {
	kept := r.keys[:0]
	for _, k := range r.keys {
		if k.retireAt.IsZero() || now.Before(k.retireAt) {
			kept = append(kept, k)
		}
	}
	clear(r.keys[len(kept):])
	r.keys = kept
}

// Publish adds k alongside the keys already published (for example a
// second KEM). Its key ID must not be held by any key in the ring.
func (r *Keyring) Publish(k *PrivateKey) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.publishLocked(k, r.now())
}

func (r *Keyring) publishLocked(k *PrivateKey, now time.Time) error {
	r.expire(now)
	if err := r.checkFreeLocked(k.KeyID()); err != nil {
		return err
	}
	// Published keys stay ahead of retiring ones.
	i := 0
	for i < len(r.keys) && r.keys[i].listed() {
		i++
	}
	r.keys = append(r.keys, nil)
	copy(r.keys[i+1:], r.keys[i:])
	r.keys[i] = &ringKey{key: k, published: now}
	if r.rec != nil {
		c := k.config
		r.rec.Record(FactKeyPublish, model.NewPub(r.name), keyIDTerm(c.KeyID), publicKeyTerm(c.PublicKey))
	}
	return nil
}

// Rotate publishes k and retires every key in the ring before it (unlisted
// ones too): they keep decrypting for the grace period, then stop.
func (r *Keyring) Rotate(k *PrivateKey) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rotateLocked(k, r.now())
}

func (r *Keyring) rotateLocked(k *PrivateKey, now time.Time) error {
	r.expire(now)
	if err := r.checkFreeLocked(k.KeyID()); err != nil {
		return err
	}
	for _, e := range r.keys {
		if e.retireAt.IsZero() {
			e.retireAt = now.Add(r.grace)
		}
	}
	r.rotations++
	return r.publishLocked(k, now)
}

// MaybeRotate follows the rotation schedule: if the newest published key
// is RotateEvery old, it generates a successor from rand with the same KEM
// and suites and the next free key ID, and rotates to it. It reports
// whether it rotated. Concurrent calls rotate at most once.
func (r *Keyring) MaybeRotate(rand io.Reader) (bool, error) {
	r.mu.Lock()
	if r.rotateEvery <= 0 {
		r.mu.Unlock()
		return false, nil
	}
	now := r.now()
	r.expire(now)
	cur := r.newestPublishedLocked()
	if cur == nil || now.Before(cur.published.Add(r.rotateEvery)) {
		r.mu.Unlock()
		return false, nil
	}
	id, c, gen := r.nextFreeLocked(cur.key.KeyID()), cur.key.config, r.rotations
	r.mu.Unlock()
	// Key generation runs unlocked: it reads from rand, which may block.
	k, err := GenerateKey(rand, id, c.KEM, c.Suites)
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rotations != gen {
		return false, nil // someone else rotated meanwhile
	}
	if err := r.rotateLocked(k, r.now()); err != nil {
		return false, err
	}
	return true, nil
}

// checkFreeLocked returns ErrKeyIDInUse if a key in the ring holds id.
func (r *Keyring) checkFreeLocked(id uint8) error {
	for _, e := range r.keys {
		if e.key.KeyID() == id {
			return fmt.Errorf("%w: %d", ErrKeyIDInUse, id)
		}
	}
	return nil
}

// nextFreeLocked returns the first key ID after id, wrapping past 255, that
// no key in the ring holds; if every ID is held it returns id itself, which
// checkFreeLocked then refuses.
func (r *Keyring) nextFreeLocked(id uint8) uint8 {
	for range 256 {
		id++
		if r.checkFreeLocked(id) == nil {
			break
		}
	}
	return id
}

func (r *Keyring) newestPublishedLocked() *ringKey {
	var cur *ringKey
	for _, e := range r.keys {
		if e.listed() && (cur == nil || !e.published.Before(cur.published)) {
			cur = e
		}
	}
	return cur
}

// Published returns the configurations clients should use, in publication
// order.
func (r *Keyring) Published() []KeyConfig {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(r.now())
	var out []KeyConfig
	for _, e := range r.keys {
		if e.listed() {
			out = append(out, e.key.Config())
		}
	}
	return out
}

// Lookup returns the key that decrypts requests with keyID: a published
// or unlisted key, or a retiring one still within its grace period.
func (r *Keyring) Lookup(keyID uint8) (*PrivateKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for _, e := range r.keys {
		if e.key.KeyID() == keyID && (e.retireAt.IsZero() || now.Before(e.retireAt)) {
			return e.key, nil
		}
	}
	return nil, fmt.Errorf("%w: %d", ErrUnknownKeyID, keyID)
}

// MaxAge is how long a client may cache the published configurations: until
// the next scheduled rotation (but at least a second, so a fetch just at the
// edge still caches), or, with no schedule, defaultKeysMaxAge.
func (r *Keyring) MaxAge() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rotateEvery <= 0 {
		return defaultKeysMaxAge
	}
	cur := r.newestPublishedLocked()
	if cur == nil {
		return 0
	}
	left := cur.published.Add(r.rotateEvery).Sub(r.now())
	return max(left.Truncate(time.Second), time.Second)
}

// defaultKeysMaxAge is the cache lifetime advertised when keys rotate only
// by hand.
const defaultKeysMaxAge = time.Hour

// KeySource finds the private key for a key ID; *Keyring implements it and
// so does a lone *PrivateKey.
type KeySource interface {
	Lookup(keyID uint8) (*PrivateKey, error)
}

// Lookup makes a single key a KeySource.
func (k *PrivateKey) Lookup(keyID uint8) (*PrivateKey, error) {
	if keyID != k.config.KeyID {
		return nil, fmt.Errorf("%w: %d", ErrUnknownKeyID, keyID)
	}
	return k, nil
}
