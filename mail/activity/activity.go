// Package activity is the router's activity log: one JSON record per
// message and recipient saying what was decided and what became of it,
// written as JSON lines and kept in a bounded in-memory window that the
// rules API queries.
package activity

import (
	"encoding/json"
	"io"
	"strings"
	"sync"
	"time"
)

// Statuses a record can carry.
const (
	Forwarded      = "forwarded"
	Dropped        = "dropped"
	Rejected       = "rejected"
	Bounced        = "bounced"
	DeliveryFailed = "delivery failed"
	Deferred       = "deferred"
	Queued         = "queued"
)

// Record is one line of the log.
type Record struct {
	Time      time.Time `json:"time"`
	SessionID string    `json:"session_id"`
	MessageID string    `json:"message_id,omitempty"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Subject   string    `json:"subject,omitempty"`
	SPF       string    `json:"spf,omitempty"`
	DKIM      string    `json:"dkim,omitempty"`
	DMARC     string    `json:"dmarc,omitempty"`
	ARC       string    `json:"arc,omitempty"`
	SpamScore float64   `json:"spam_score"`
	Threshold float64   `json:"spam_threshold"`
	IsSpam    bool      `json:"is_spam"`
	IsNDR     bool      `json:"is_ndr"`
	Action    string    `json:"action,omitempty"`
	Rule      string    `json:"rule,omitempty"`
	Status    string    `json:"status"`
	Detail    string    `json:"detail,omitempty"`
}

// Log writes records as JSON lines to W (if set) and keeps the last Keep.
type Log struct {
	mu   sync.Mutex
	w    io.Writer
	keep int
	ring []Record
	next int
	werr error
}

// New returns a log writing to w (nil: memory only) and keeping keep
// records (default 10000) for queries.
func New(w io.Writer, keep int) *Log {
	if keep <= 0 {
		keep = 10000
	}
	return &Log{w: w, keep: keep, ring: make([]Record, 0, min(keep, 1024))}
}

// Add appends a record. A write error is kept (see Err) and does not stop
// the in-memory log: mail flow never waits on its own log.
func (l *Log) Add(r Record) {
	line, _ := json.Marshal(r)
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		if _, err := l.w.Write(line); err != nil && l.werr == nil {
			l.werr = err
		}
	}
	if len(l.ring) < l.keep {
		l.ring = append(l.ring, r)
		return
	}
	l.ring[l.next] = r
	l.next = (l.next + 1) % l.keep
}

// Err is the first write error, if any.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.werr
}

// Query selects records; zero fields match everything.
type Query struct {
	MessageID string
	To        string // case-insensitive substring
	From      string // case-insensitive substring
	Status    string
	Since     time.Time
	Limit     int // newest first; 0 means 100
}

// Find returns the records matching q, newest first.
func (l *Log) Find(q Query) []Record {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Record
	n := len(l.ring)
	for i := range n {
		// The newest record sits just before next (next is 0 until the
		// window is full).
		r := l.ring[((l.next-1-i)%n+n)%n]
		if q.match(r) {
			out = append(out, r)
			if len(out) == q.Limit {
				break
			}
		}
	}
	return out
}

func (q Query) match(r Record) bool {
	return (q.MessageID == "" || r.MessageID == q.MessageID) &&
		(q.Status == "" || r.Status == q.Status) &&
		(q.To == "" || strings.Contains(strings.ToLower(r.To), strings.ToLower(q.To))) &&
		(q.From == "" || strings.Contains(strings.ToLower(r.From), strings.ToLower(q.From))) &&
		(q.Since.IsZero() || !r.Time.Before(q.Since))
}
