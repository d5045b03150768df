// Package store is a cache's memory: stored responses bounded by their
// total size in bytes, evicted by SIEVE.
//
// Why SIEVE (Zhang et al., NSDI 2024) rather than LRU: a hit only sets a
// flag on the entry, so the hit path never reorders a list and holds the
// lock for a map lookup alone; and on web cache traces it keeps a higher
// hit ratio than LRU because one-hit wonders pass through the queue
// without displacing objects that were requested again. Eviction walks a
// hand from the oldest entry towards the newest, sparing (and unmarking)
// visited entries and removing the first unvisited one.
//
// Objects are immutable once stored: an update (a 304 refreshing headers)
// stores a new Object in place of the old, so a reader holding an Object
// never sees it change, and bodies are handed out without copying.
package store

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Object is one stored response (one variant of a cache key).
type Object struct {
	Key        string   // the primary cache key (method and normalized URI)
	URL        string   // the normalized URI, for purges by prefix
	VaryNames  []string // lower-cased field names of the response's Vary
	VaryValues []string // the request's normalized values of those fields
	Status     int
	Header     http.Header // never modified once stored
	Body       []byte      // never modified once stored
	// RequestTime and ResponseTime are when the cache sent the request
	// that produced this response and when the response arrived
	// (RFC 9111 §4.2.3's request_time and response_time).
	RequestTime, ResponseTime time.Time
	Tags                      []string // purge tags (Cache-Tag, Surrogate-Key)

	// The policy read from the response when it was stored, so a hit
	// parses nothing.
	Lifetime             time.Duration // freshness lifetime (§4.2.1)
	InitialAge           time.Duration // corrected_initial_age (§4.2.3)
	NoCache              bool          // validate before every reuse
	MustRevalidate       bool          // never serve stale (must-/proxy-revalidate, s-maxage)
	StaleWhileRevalidate time.Duration // RFC 5861
	StaleIfError         time.Duration // RFC 5861

	derived *Derived // given by Put and Replace
}

// Derived is where a cache keeps what it derives from a stored object to
// reuse across hits (the fields it serializes for the current second, the
// facts it records), so that a hit need not build them again. It is the
// one part of an Object that changes once stored, and only atomically;
// what it holds is the cache's, never read by the store.
type Derived struct{ v atomic.Value }

// Load returns what was last stored, or nil.
func (d *Derived) Load() any { return d.v.Load() }

// Store replaces it; v must always be of one concrete type.
func (d *Derived) Store(v any) { d.v.Store(v) }

// Derived is the object's slot, or nil for an object the store was never
// given. Each object stored gets a slot of its own.
func (o *Object) Derived() *Derived { return o.derived }

// Size is what the object counts against the store's capacity: its body,
// header names and values, and a fixed overhead.
func (o *Object) Size() int64 {
	n := int64(len(o.Body)) + int64(len(o.Key)) + int64(len(o.URL)) + 256
	for k, vs := range o.Header {
		for _, v := range vs {
			n += int64(len(k) + len(v) + 4)
		}
	}
	for _, v := range o.VaryValues {
		n += int64(len(v))
	}
	return n
}

// entry is one primary key: its variants and its place in the queue.
type entry struct {
	key        string
	variants   []*Object // copy-on-write: replaced, never modified
	size       int64
	visited    bool
	prev, next *entry // prev is newer, next is older
}

// Store is safe for concurrent use. Its lock is never held across a call
// out of the package.
type Store struct {
	mu       sync.Mutex
	capacity int64
	used     int64
	entries  map[string]*entry
	head     *entry // newest
	tail     *entry // oldest
	hand     *entry
	// Evictions counts objects removed to make room.
	evictions int64
}

// New returns a store holding at most capacity bytes.
func New(capacity int64) *Store {
	return &Store{capacity: capacity, entries: map[string]*entry{}}
}

// Get returns the variants stored under key (nil if none) and marks the
// key visited. The slice and its Objects must not be modified.
func (s *Store) Get(key string) []*Object {
	s.mu.Lock()
	e := s.entries[key]
	var vs []*Object
	if e != nil {
		e.visited = true
		vs = e.variants
	}
	s.mu.Unlock()
	return vs
}

// Lookup is Get for a key in bytes, as the hit path builds it, marking
// the key visited only if visit (a request that may be answered from the
// store). It also returns the key as a string: the stored one when the
// key is stored, so a hit allocates nothing for it, and a copy of key
// otherwise.
func (s *Store) Lookup(key []byte, visit bool) (string, []*Object) {
	s.mu.Lock()
	e := s.entries[string(key)] // a lookup by bytes, not a conversion
	if e == nil {
		s.mu.Unlock()
		return string(key), nil
	}
	if visit {
		e.visited = true
	}
	k, vs := e.key, e.variants
	s.mu.Unlock()
	return k, vs
}

// Put stores o as the variant of its key with the same Vary values,
// replacing that variant. Variants stored under a different Vary are
// dropped: the newest response's Vary describes the resource now. An
// object larger than an eighth of the capacity is not stored (it would
// flush the cache); Put reports whether o was stored.
func (s *Store) Put(o *Object) bool {
	size := o.Size()
	if size > s.capacity/8 {
		return false
	}
	o.derived = new(Derived)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[o.Key]
	if e == nil {
		e = &entry{key: o.Key}
		s.entries[o.Key] = e
		s.pushHead(e)
	}
	vs := make([]*Object, 0, len(e.variants)+1)
	for _, v := range e.variants {
		if sameStrings(v.VaryNames, o.VaryNames) && !sameStrings(v.VaryValues, o.VaryValues) {
			vs = append(vs, v)
		}
	}
	vs = append(vs, o)
	s.setVariants(e, vs)
	s.evict(e)
	return true
}

// Replace puts updated in place of old (a header update after a 304) if
// old is still stored; it reports whether it did.
func (s *Store) Replace(old, updated *Object) bool {
	updated.derived = new(Derived) // what was derived from old is old's
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[old.Key]
	if e == nil {
		return false
	}
	for i, v := range e.variants {
		if v == old {
			vs := append([]*Object(nil), e.variants...)
			vs[i] = updated
			s.setVariants(e, vs)
			s.evict(e)
			return true
		}
	}
	return false
}

// Remove removes one object (a variant) if it is still stored.
func (s *Store) Remove(o *Object) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[o.Key]
	if e == nil {
		return false
	}
	vs := make([]*Object, 0, len(e.variants))
	for _, v := range e.variants {
		if v != o {
			vs = append(vs, v)
		}
	}
	if len(vs) == len(e.variants) {
		return false
	}
	if len(vs) == 0 {
		s.drop(e)
	} else {
		s.setVariants(e, vs)
	}
	return true
}

// Delete removes every variant of key and returns how many there were.
func (s *Store) Delete(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[key]
	if e == nil {
		return 0
	}
	n := len(e.variants)
	s.drop(e)
	return n
}

// DeleteFunc removes every object for which match is true and returns how
// many it removed. match runs under the store's lock: it must be a pure
// function of the object.
func (s *Store) DeleteFunc(match func(*Object) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	removed := 0
	for e := s.head; e != nil; {
		next := e.next
		var keep []*Object
		for _, v := range e.variants {
			if match(v) {
				removed++
			} else {
				keep = append(keep, v)
			}
		}
		switch {
		case len(keep) == 0:
			s.drop(e)
		case len(keep) != len(e.variants):
			s.setVariants(e, keep)
		}
		e = next
	}
	return removed
}

// DeletePrefix removes every object whose URL starts with prefix.
func (s *Store) DeletePrefix(prefix string) int {
	return s.DeleteFunc(func(o *Object) bool { return strings.HasPrefix(o.URL, prefix) })
}

// DeleteTag removes every object carrying tag.
func (s *Store) DeleteTag(tag string) int {
	return s.DeleteFunc(func(o *Object) bool {
		for _, t := range o.Tags {
			if t == tag {
				return true
			}
		}
		return false
	})
}

// Stats are the store's figures.
type Stats struct {
	Keys, Objects   int
	Bytes, Capacity int64
	Evictions       int64
}

// Stats returns the current figures.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Keys: len(s.entries), Bytes: s.used, Capacity: s.capacity, Evictions: s.evictions}
	for _, e := range s.entries {
		st.Objects += len(e.variants)
	}
	return st
}

func (s *Store) setVariants(e *entry, vs []*Object) {
	var size int64
	for _, v := range vs {
		size += v.Size()
	}
	s.used += size - e.size
	e.size = size
	e.variants = vs
}

// evict runs the SIEVE hand until the store fits, sparing keep (the
// entry just written).
func (s *Store) evict(keep *entry) {
	for s.used > s.capacity && s.tail != nil {
		e := s.hand
		if e == nil {
			e = s.tail
		}
		for e.visited || e == keep {
			e.visited = false
			e = e.prev
			if e == nil {
				e = s.tail
			}
			if e == keep && keep.prev == nil && keep.next == nil {
				return // only the kept entry is left
			}
		}
		s.hand = e.prev
		s.evictions += int64(len(e.variants))
		s.drop(e)
	}
}

func (s *Store) drop(e *entry) {
	if s.hand == e {
		s.hand = e.prev
	}
	s.used -= e.size
	delete(s.entries, e.key)
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (s *Store) pushHead(e *entry) {
	e.next = s.head
	if s.head != nil {
		s.head.prev = e
	}
	s.head = e
	if s.tail == nil {
		s.tail = e
	}
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
