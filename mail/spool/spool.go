// Package spool is the durable message queue of store-and-forward mode: an
// append-only log of checksummed records in segment files on an env.Disk.
// Put returns only after an fsync that covers the message, so a 250 given
// after Put survives a crash; concurrent Puts share one fsync (group
// commit): the first writer to find no sync running becomes the leader,
// writes every record queued so far in one write, syncs once and wakes all
// whose records that sync covered. Open rebuilds the queue from disk,
// stopping at a torn or corrupt record (its checksum fails), which can only
// be a record whose sync never returned, so one that never got a 250.
package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// Message is one accepted message and its envelope.
type Message struct {
	ID string
	// From is the reverse path without brackets; "" is the null sender.
	From     string
	To       []string
	Received time.Time
	Data     []byte
}

// Stored is a message recovered by Open with the recipients not yet done.
type Stored struct {
	Msg     *Message
	Pending []int
}

// Options tune a Spool.
type Options struct {
	// SyncEach turns group commit off: one write and fsync per record,
	// serialized. It exists as the baseline group commit is measured
	// against.
	SyncEach bool
	// SegmentBytes starts a new segment file once the active one is this
	// large (default 64 MiB).
	SegmentBytes int64
	// Bugs switches on seeded bugs (bugs.go); zero in production.
	Bugs Bugs
}

// Recovery reports what Open found.
type Recovery struct {
	Segments int
	Records  int
	// Torn counts segments whose tail held a record that failed its length
	// or checksum check; reading that segment stopped there.
	Torn int
}

// ErrClosed is returned by a Spool after Close.
var ErrClosed = errors.New("spool: closed")

const (
	recMessage = 1
	recDone    = 2
	headerLen  = 8 // u32 payload length, u32 CRC-32C of the payload
	maxRecord  = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Spool is the log. Its methods are safe for concurrent use.
type Spool struct {
	env  env.Env
	disk env.Disk
	dir  string
	opt  Options

	mu      sync.Mutex
	closed  bool
	syncing bool
	queue   []*pending // records not yet taken by a leader
	file    env.File   // active segment; used only by the leader
	segSeq  int
	segSize int64
	// spoiled: a write or fsync on the active segment failed and no new
	// segment could be started; nothing may be appended to it again.
	spoiled bool
	// live counts, per segment sequence number, messages with recipients
	// not yet done; where maps a message ID to its segment and its
	// remaining recipient count.
	live  map[int]int
	where map[string]*placement
	syncs int
}

type placement struct {
	seg     int
	pending int
}

type pending struct {
	rec    []byte
	msgID  string
	isMsg  bool
	nrcpt  int
	done   bool
	err    error
	notify env.Notifier
}

// Open recovers the spool in dir on e's disk and returns it with the
// messages that still have recipients to deliver, oldest first.
func Open(e env.Env, dir string, opt Options) (*Spool, []Stored, Recovery, error) {
	if opt.SegmentBytes <= 0 {
		opt.SegmentBytes = 64 << 20
	}
	s := &Spool{env: e, disk: e.Disk(), dir: dir, opt: opt, live: map[int]int{}, where: map[string]*placement{}}
	if err := s.mkdirDurable(dir); err != nil {
		return nil, nil, Recovery{}, fmt.Errorf("spool: %w", err)
	}
	stored, rec, err := s.recover()
	if err != nil {
		return nil, nil, rec, err
	}
	// New records go to a fresh segment: the last one may end in a torn
	// record, and appending after it would hide everything behind it.
	if err := s.startSegment(); err != nil {
		return nil, nil, rec, err
	}
	s.removeFree()
	return s, stored, rec, nil
}

// mkdirDurable creates dir and makes each new level's name durable, so a
// crash cannot take the whole spool directory with it.
func (s *Spool) mkdirDurable(dir string) error {
	if err := s.disk.MkdirAll(dir); err != nil {
		return err
	}
	for d := dir; d != "." && d != "/" && d != ""; d = path.Dir(d) {
		if err := s.disk.SyncDir(path.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

func segName(seq int) string { return fmt.Sprintf("seg-%016d.log", seq) }

func (s *Spool) segments() ([]int, error) {
	names, err := s.disk.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var seqs []int
	for _, n := range names {
		var seq int
		if strings.HasPrefix(n, "seg-") && strings.HasSuffix(n, ".log") {
			if _, err := fmt.Sscanf(n, "seg-%016d.log", &seq); err == nil {
				seqs = append(seqs, seq)
			}
		}
	}
	sort.Ints(seqs)
	return seqs, nil
}

func (s *Spool) recover() ([]Stored, Recovery, error) {
	var rec Recovery
	seqs, err := s.segments()
	if err != nil {
		return nil, rec, err
	}
	msgs := map[string]*Message{}
	done := map[string]map[int]bool{}
	var order []string
	for _, seq := range seqs {
		rec.Segments++
		s.segSeq = seq
		data, err := s.disk.ReadFile(path.Join(s.dir, segName(seq)))
		if err != nil {
			return nil, rec, fmt.Errorf("spool: %w", err)
		}
		for len(data) > 0 {
			payload, n, ok := readRecord(data)
			if !ok {
				rec.Torn++
				if s.opt.Bugs.SkipTornSegment {
					s.forgetSegment(seq, msgs)
				}
				break
			}
			data = data[n:]
			rec.Records++
			switch payload[0] {
			case recMessage:
				m, err := decodeMessage(payload[1:])
				if err != nil {
					return nil, rec, fmt.Errorf("spool: segment %d: %w", seq, err)
				}
				if msgs[m.ID] == nil {
					order = append(order, m.ID)
				}
				msgs[m.ID] = m
				s.where[m.ID] = &placement{seg: seq, pending: len(m.To)}
				s.live[seq]++
			case recDone:
				id, rcpt, err := decodeDone(payload[1:])
				if err != nil {
					return nil, rec, fmt.Errorf("spool: segment %d: %w", seq, err)
				}
				if done[id] == nil {
					done[id] = map[int]bool{}
				}
				if !done[id][rcpt] {
					done[id][rcpt] = true
					s.markDone(id)
				}
			default:
				return nil, rec, fmt.Errorf("spool: segment %d: unknown record type %d", seq, payload[0])
			}
		}
	}
	var out []Stored
	for _, id := range order {
		m := msgs[id]
		if m == nil {
			continue // forgotten (a seeded bug)
		}
		var p []int
		for i := range m.To {
			if !done[id][i] {
				p = append(p, i)
			}
		}
		if len(p) > 0 {
			out = append(out, Stored{Msg: m, Pending: p})
		}
	}
	return out, rec, nil
}

// forgetSegment drops the messages recovered from segment seq (the
// SkipTornSegment seeded bug).
func (s *Spool) forgetSegment(seq int, msgs map[string]*Message) {
	for id, pl := range s.where {
		if pl.seg == seq {
			delete(s.where, id)
			delete(msgs, id)
		}
	}
	delete(s.live, seq)
}

// markDone accounts for one finished recipient; s.mu held or recovering.
// It returns the segment that became free of live messages, or -1.
func (s *Spool) markDone(id string) int {
	pl := s.where[id]
	if pl == nil {
		return -1
	}
	pl.pending--
	if pl.pending > 0 {
		return -1
	}
	delete(s.where, id)
	s.live[pl.seg]--
	if s.live[pl.seg] == 0 {
		delete(s.live, pl.seg)
		return pl.seg
	}
	return -1
}

func readRecord(data []byte) (payload []byte, n int, ok bool) {
	if len(data) < headerLen {
		return nil, 0, false
	}
	l := binary.BigEndian.Uint32(data)
	sum := binary.BigEndian.Uint32(data[4:])
	if l == 0 || l > maxRecord || int(l) > len(data)-headerLen {
		return nil, 0, false
	}
	payload = data[headerLen : headerLen+int(l)]
	if crc32.Checksum(payload, castagnoli) != sum {
		return nil, 0, false
	}
	return payload, headerLen + int(l), true
}

func frame(payload []byte) []byte {
	out := make([]byte, headerLen, headerLen+len(payload))
	binary.BigEndian.PutUint32(out, uint32(len(payload)))
	binary.BigEndian.PutUint32(out[4:], crc32.Checksum(payload, castagnoli))
	return append(out, payload...)
}

func (s *Spool) startSegment() error {
	s.segSeq++
	name := path.Join(s.dir, segName(s.segSeq))
	f, err := s.disk.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := s.disk.SyncDir(s.dir); err != nil {
		f.Close()
		return fmt.Errorf("spool: %w", err)
	}
	if s.file != nil {
		s.file.Close()
	}
	s.file, s.segSize, s.spoiled = f, 0, false
	return nil
}

// Put makes m durable. It returns nil only after an fsync that covers m
// has returned; on error m may or may not be on disk and the caller must
// not acknowledge it (a 4xx makes the sender retry).
func (s *Spool) Put(ctx context.Context, m *Message) error {
	if m.ID == "" || len(m.To) == 0 {
		return errors.New("spool: a message needs an ID and recipients")
	}
	return s.commit(ctx, &pending{rec: frame(encodeMessage(m)), msgID: m.ID, isMsg: true, nrcpt: len(m.To)})
}

// Done records that recipient index rcpt of message id is finished
// (delivered, bounced or dropped), durably.
func (s *Spool) Done(ctx context.Context, id string, rcpt int) error {
	return s.commit(ctx, &pending{rec: frame(encodeDone(id, rcpt)), msgID: id})
}

// Syncs reports how many fsyncs of records the spool has made.
func (s *Spool) Syncs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.syncs
}

func (s *Spool) commit(ctx context.Context, p *pending) error {
	p.notify = s.env.NewNotifier()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.queue = append(s.queue, p)
	for {
		if p.done {
			s.mu.Unlock()
			return p.err
		}
		if !s.syncing {
			s.lead() // returns with s.mu held
			continue
		}
		s.mu.Unlock()
		// Each waiter has its own notifier, so a wakeup sent between the
		// check above and this Wait is kept for it.
		if err := p.notify.Wait(ctx); err != nil {
			// The record may still be written: the caller treats it as
			// unacknowledged either way.
			return err
		}
		s.mu.Lock()
	}
}

// lead writes and syncs a batch of queued records. Called and returns with
// s.mu held; drops it around the I/O.
func (s *Spool) lead() {
	n := len(s.queue)
	if s.opt.SyncEach {
		n = 1
	}
	batch := s.queue[:n:n]
	s.queue = s.queue[n:]
	s.syncing = true
	s.mu.Unlock()

	var buf []byte
	for _, p := range batch {
		buf = append(buf, p.rec...)
	}
	err := s.writeSync(batch, buf)

	s.mu.Lock()
	s.syncing = false
	s.syncs++
	var free []int
	for _, p := range batch {
		p.done, p.err = true, err
		if err != nil {
			continue
		}
		if p.isMsg {
			s.where[p.msgID] = &placement{seg: s.segSeq, pending: p.nrcpt}
			s.live[s.segSeq]++
		} else if seg := s.markDone(p.msgID); seg >= 0 {
			free = append(free, seg)
		}
		p.notify.Notify()
	}
	if err != nil {
		for _, p := range batch {
			p.notify.Notify()
		}
	}
	// Wake one waiter left in the queue so it leads the next batch.
	if len(s.queue) > 0 {
		s.queue[0].notify.Notify()
	}
	if len(free) > 0 {
		s.syncing = true
		s.mu.Unlock()
		s.removeFree()
		s.mu.Lock()
		s.syncing = false
		if len(s.queue) > 0 {
			s.queue[0].notify.Notify()
		}
	}
}

// writeSync appends buf to the active segment and syncs it, rolling to a
// new segment when the active one is full or failed. Only the leader calls
// it.
func (s *Spool) writeSync(batch []*pending, buf []byte) error {
	if s.spoiled || s.segSize >= s.opt.SegmentBytes {
		if err := s.startSegment(); err != nil {
			return err
		}
	}
	_, err := s.file.Write(buf)
	if err == nil && s.opt.Bugs.GroupAckBeforeSync {
		s.mu.Lock()
		for _, p := range batch {
			p.done = true
			p.notify.Notify()
		}
		s.mu.Unlock()
	}
	if err == nil && !s.opt.Bugs.AckBeforeSync {
		err = s.file.Sync()
	}
	if err != nil {
		// After a failed write or fsync the file's content is unknown;
		// never append to it again: until a new segment starts, every
		// write fails.
		s.spoiled = true
		if rerr := s.startSegment(); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return fmt.Errorf("spool: %w", err)
	}
	s.segSize += int64(len(buf))
	return nil
}

// removeFree deletes the oldest segments while they hold no live message
// and are not the active one. Oldest first, so a done record is never
// removed before the message it finishes.
func (s *Spool) removeFree() {
	seqs, err := s.segments()
	if err != nil {
		return
	}
	for _, seq := range seqs {
		s.mu.Lock()
		busy := s.live[seq] > 0 || seq >= s.segSeq
		s.mu.Unlock()
		if busy {
			return
		}
		if s.disk.Remove(path.Join(s.dir, segName(seq))) != nil || s.disk.SyncDir(s.dir) != nil {
			return
		}
	}
}

// Close stops the spool; queued records not yet written fail.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	for _, p := range s.queue {
		p.done, p.err = true, ErrClosed
		p.notify.Notify()
	}
	s.queue = nil
	if s.syncing {
		// The leader still owns the file; it closes with the process.
		return nil
	}
	return s.file.Close()
}

func putString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func encodeMessage(m *Message) []byte {
	b := []byte{recMessage}
	b = putString(b, m.ID)
	b = binary.AppendVarint(b, m.Received.UnixNano())
	b = putString(b, m.From)
	b = binary.AppendUvarint(b, uint64(len(m.To)))
	for _, t := range m.To {
		b = putString(b, t)
	}
	b = binary.AppendUvarint(b, uint64(len(m.Data)))
	return append(b, m.Data...)
}

func encodeDone(id string, rcpt int) []byte {
	b := []byte{recDone}
	b = putString(b, id)
	return binary.AppendUvarint(b, uint64(rcpt))
}

// reader decodes the fields of a record payload.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errors.New("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	l := r.uvarint()
	if r.err != nil {
		return nil
	}
	if l > uint64(len(r.b)) {
		r.err = errors.New("field runs past the record")
		return nil
	}
	v := r.b[:l:l]
	r.b = r.b[l:]
	return v
}

func decodeMessage(b []byte) (*Message, error) {
	r := &reader{b: b}
	m := &Message{ID: string(r.bytes())}
	m.Received = time.Unix(0, r.varint()).UTC()
	m.From = string(r.bytes())
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return nil, errors.New("recipient count runs past the record")
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		m.To = append(m.To, string(r.bytes()))
	}
	m.Data = append([]byte(nil), r.bytes()...)
	if r.err == nil && len(r.b) != 0 {
		r.err = errors.New("trailing bytes")
	}
	if r.err != nil {
		return nil, fmt.Errorf("message record: %w", r.err)
	}
	return m, nil
}

func decodeDone(b []byte) (string, int, error) {
	r := &reader{b: b}
	id := string(r.bytes())
	rcpt := r.uvarint()
	if r.err == nil && len(r.b) != 0 {
		r.err = errors.New("trailing bytes")
	}
	if r.err != nil {
		return "", 0, fmt.Errorf("done record: %w", r.err)
	}
	return id, int(rcpt), nil
}
