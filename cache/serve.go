package cache

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/cache/freshness"
	"github.com/edgelab/edgelab/cache/status"
	"github.com/edgelab/edgelab/cache/store"
	"github.com/edgelab/edgelab/model"
)

// serveStored answers from a stored response of the given age: the
// client's conditions (§4.3.2), HEAD (the stored GET's header, no body)
// and a byte range (RFC 9110 §14) are answered here. The stored header
// slices and body are shared, not copied: they are clipped at store time,
// so nothing appended here can reach them.
func (x *exchange) serveStored(obj *store.Object, age time.Duration) {
	x.serveStoredWith(obj, age, x.derived(obj, age))
}

// serveStoredWith is serveStored with the hit fields already derived (nil
// when they do not apply).
func (x *exchange) serveStoredWith(obj *store.Object, age time.Duration, d *hitFields) {
	out := x.w.Header()
	if d != nil {
		// The usual case: the stored fields, then Age and this tier's
		// member, which is the whole Cache-Status.
		for _, f := range d.fields {
			out[f.name] = f.values
		}
		out["Age"], out[status.Field] = d.age, d.status
	} else {
		for k, vs := range obj.Header {
			out[k] = vs
		}
		// Age and Cache-Status share one backing array, each slice
		// clipped so an append to one cannot reach the other.
		added := make([]string, 2)
		added[0] = freshness.AgeHeader(age)
		out["Age"] = added[0:1:1]
		added[1] = x.statusValue(out)
		out[status.Field] = added[1:2:2]
	}
	if x.answerConditional(obj) {
		return
	}
	if x.answerRange(obj, out) {
		return
	}
	x.w.WriteHeader(obj.Status)
	if x.r.Method != http.MethodHead {
		x.w.Write(obj.Body)
	}
}

// hitFields is what hits on one stored object share: its header as a
// list (a walk, not a map iteration; Age left out, since a hit sets it),
// the fact args, and the fields that change from hit to hit (Age and
// Cache-Status) for one age in whole seconds and one member, so hits
// within a second build nothing. Every value is in a clipped slice of
// its own (an append copies), and no one writes into them.
type hitFields struct {
	tier    *Tier
	obj     *store.Object
	fields  []headerField
	shared  bool         // the stored header has a Cache-Status of its own
	hitArgs []model.Term // CacheHit(T, K)

	ageSec int64
	member status.Member
	age    []string
	status []string
}

type headerField struct {
	name   string
	values []string
}

// derived returns the hit fields of obj for this exchange, reusing those
// kept with obj when they are the same; nil when they do not apply (an
// object the store was never given, or a Cache-Status already in the
// response this tier is extending).
func (x *exchange) derived(obj *store.Object, age time.Duration) *hitFields {
	slot := obj.Derived()
	if slot == nil || len(x.upstreamStatus) > 0 {
		return nil
	}
	ageSec := int64(nonNegative(age) / time.Second)
	prev := x.objectFields(slot, obj)
	if prev.shared {
		return nil
	}
	if prev.ageSec == ageSec && prev.member == x.member && prev.status != nil {
		return prev
	}
	// One string holds both values; the two slices share one array,
	// each clipped.
	var buf [320]byte
	b := strconv.AppendInt(buf[:0], ageSec, 10)
	n := len(b)
	b = x.member.AppendTo(b)
	both := string(b)
	vals := []string{both[:n], both[n:]}
	d := *prev
	d.ageSec, d.member, d.age, d.status = ageSec, x.member, vals[0:1:1], vals[1:2:2]
	slot.Store(&d)
	return &d
}

// objectFields returns the fields kept with obj, building its per-object
// part if it is not there yet.
func (x *exchange) objectFields(slot *store.Derived, obj *store.Object) *hitFields {
	if d, _ := slot.Load().(*hitFields); d != nil && d.tier == x.t && d.obj == obj {
		return d
	}
	d := &hitFields{tier: x.t, obj: obj, ageSec: -1, hitArgs: []model.Term{tierTerm(x.t.name), keyTerm(obj.Key)}}
	d.fields = make([]headerField, 0, len(obj.Header))
	for k, vs := range obj.Header {
		switch k {
		case "Age":
		case status.Field:
			d.shared = true
		default:
			d.fields = append(d.fields, headerField{k, vs})
		}
	}
	slot.Store(d)
	return d
}

// recordHit records CacheHit with the args the object's hits share (d),
// or args of its own when d does not apply.
func (x *exchange) recordHit(d *hitFields) {
	if d == nil {
		x.record(FactCacheHit)
		return
	}
	x.t.env.Record(FactCacheHit, d.hitArgs...)
}

// answerConditional sends 304 when the client's If-None-Match (or, without
// it, If-Modified-Since) matches obj (RFC 9110 §13.2.2).
func (x *exchange) answerConditional(obj *store.Object) bool {
	if obj.Status != http.StatusOK {
		return false
	}
	h := x.r.Header
	notModified := false
	if inm := h["If-None-Match"]; len(inm) > 0 {
		notModified = etagListMatches(inm, obj.Header.Get("ETag"), false)
	} else if ims := firstValue(h, "If-Modified-Since"); ims != "" {
		since, err := http.ParseTime(ims)
		lm, err2 := http.ParseTime(obj.Header.Get("Last-Modified"))
		if err == nil && err2 == nil && !lm.After(since) {
			notModified = true
		}
	}
	if !notModified {
		return false
	}
	out := x.w.Header()
	for _, f := range []string{"Content-Length", "Content-Type", "Content-Range", "Content-Encoding"} {
		delete(out, f)
	}
	x.w.WriteHeader(http.StatusNotModified)
	return true
}

// answerRange serves one byte range of a stored 200 as 206, or 416 when it
// is unsatisfiable. Several ranges, or a failed If-Range, get the whole
// response (a server may ignore Range).
func (x *exchange) answerRange(obj *store.Object, out http.Header) bool {
	rh := firstValue(x.r.Header, "Range")
	if rh == "" || obj.Status != http.StatusOK || x.r.Method != http.MethodGet {
		return false
	}
	if ir := firstValue(x.r.Header, "If-Range"); ir != "" && !ifRangeMatches(ir, obj.Header) {
		return false
	}
	size := int64(len(obj.Body))
	start, end, ok, satisfiable := parseRange(rh, size)
	if !ok {
		return false
	}
	if !satisfiable {
		delete(out, "Content-Type")
		out["Content-Range"] = []string{"bytes */" + strconv.FormatInt(size, 10)}
		out["Content-Length"] = []string{"0"}
		x.w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		return true
	}
	out["Content-Range"] = []string{"bytes " + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(end, 10) + "/" + strconv.FormatInt(size, 10)}
	out["Content-Length"] = []string{strconv.FormatInt(end-start+1, 10)}
	x.w.WriteHeader(http.StatusPartialContent)
	x.w.Write(obj.Body[start : end+1])
	return true
}

// parseRange reads a single "bytes=" range. ok is false for anything this
// tier does not serve as a range (another unit, several ranges, bad
// syntax); satisfiable is false when no byte of it exists.
func parseRange(h string, size int64) (start, end int64, ok, satisfiable bool) {
	unit, spec, found := strings.Cut(h, "=")
	if !found || !strings.EqualFold(strings.TrimSpace(unit), "bytes") || strings.Contains(spec, ",") {
		return 0, 0, false, false
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, false
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false, false
		}
		if n == 0 || size == 0 {
			return 0, 0, true, false
		}
		if n > size {
			n = size
		}
		return size - n, size - 1, true, true
	}
	s, err := strconv.ParseInt(first, 10, 64)
	if err != nil || s < 0 {
		return 0, 0, false, false
	}
	e := size - 1
	if last != "" {
		e, err = strconv.ParseInt(last, 10, 64)
		if err != nil || e < s {
			return 0, 0, false, false
		}
		if e >= size {
			e = size - 1
		}
	}
	if s >= size {
		return 0, 0, true, false
	}
	return s, e, true, true
}

// ifRangeMatches: a strong entity tag equal to the stored one, or a date
// equal to a stored Last-Modified (RFC 9110 §13.1.5).
func ifRangeMatches(ir string, h http.Header) bool {
	ir = strings.TrimSpace(ir)
	if strings.HasPrefix(ir, `"`) {
		et := h.Get("ETag")
		return et != "" && !strings.HasPrefix(et, "W/") && et == ir
	}
	t, err := http.ParseTime(ir)
	lm, err2 := http.ParseTime(h.Get("Last-Modified"))
	return err == nil && err2 == nil && t.Equal(lm)
}

// etagListMatches reports whether etag is in an If-None-Match list (weak
// comparison), or the list is "*".
func etagListMatches(lines []string, etag string, strong bool) bool {
	if etag == "" {
		for _, l := range lines {
			if strings.TrimSpace(l) == "*" {
				return false
			}
		}
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, l := range lines {
		for _, t := range strings.Split(l, ",") {
			t = strings.TrimSpace(t)
			if t == "*" {
				return true
			}
			if strong && (strings.HasPrefix(t, "W/") || strings.HasPrefix(etag, "W/")) {
				continue
			}
			if strings.TrimPrefix(t, "W/") == want {
				return true
			}
		}
	}
	return false
}
