// Package freshness computes how long a stored response stays fresh and how
// old it is, for a shared cache (RFC 9111 §4.2).
package freshness

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/cache/cachecontrol"
)

// HeuristicFraction is the share of the time since Last-Modified that a
// response without explicit freshness stays fresh (§4.2.2's "typical
// setting" of 10%).
const HeuristicFraction = 10

// heuristicStatus are the status codes RFC 9110 §15.1 defines as
// heuristically cacheable.
var heuristicStatus = map[int]bool{
	200: true, 203: true, 204: true, 206: true, 300: true, 301: true, 308: true,
	404: true, 405: true, 410: true, 414: true, 501: true,
}

// HeuristicallyCacheable reports whether status may be given a heuristic
// lifetime.
func HeuristicallyCacheable(status int) bool { return heuristicStatus[status] }

// Lifetime is a response's freshness lifetime for a shared cache (§4.2.1):
// s-maxage, else max-age, else Expires minus Date, else a heuristic from
// Last-Modified when allowed. explicit is false for a heuristic lifetime
// or none at all.
func Lifetime(h http.Header, cc cachecontrol.Directives, status int, ignoreExpires bool) (lifetime time.Duration, explicit bool) {
	switch {
	case cc.SMaxAge.Set:
		return seconds(cc.SMaxAge.Seconds), true
	case cc.MaxAge.Set:
		return seconds(cc.MaxAge.Seconds), true
	}
	date, dateOK := Date(h)
	if !ignoreExpires {
		if exp := h.Values("Expires"); len(exp) > 0 {
			t, err := http.ParseTime(strings.TrimSpace(exp[0]))
			if err != nil || !dateOK {
				// §5.3: an invalid Expires (such as "0") means already
				// expired.
				return 0, true
			}
			if d := t.Sub(date); d > 0 {
				return d, true
			}
			return 0, true
		}
	}
	if !heuristicStatus[status] && !cc.Public {
		return 0, false
	}
	if lm := h.Get("Last-Modified"); lm != "" && dateOK {
		if t, err := http.ParseTime(lm); err == nil && date.After(t) {
			return date.Sub(t) / HeuristicFraction, false
		}
	}
	return 0, false
}

// HasExplicit reports whether a response carries explicit freshness
// information (a lifetime other than a heuristic).
func HasExplicit(h http.Header, cc cachecontrol.Directives, ignoreExpires bool) bool {
	return cc.SMaxAge.Set || cc.MaxAge.Set || (!ignoreExpires && len(h.Values("Expires")) > 0)
}

// Date parses the Date field.
func Date(h http.Header) (time.Time, bool) {
	v := h.Values("Date")
	if len(v) == 0 {
		return time.Time{}, false
	}
	t, err := http.ParseTime(strings.TrimSpace(v[0]))
	return t, err == nil
}

// AgeValue parses the Age field (§5.1): of a list, the first member is
// used; a value that is not a non-negative integer is ignored.
func AgeValue(h http.Header) (time.Duration, bool) {
	v := h.Values("Age")
	if len(v) == 0 {
		return 0, false
	}
	first, _, _ := strings.Cut(v[0], ",")
	s := strings.TrimSpace(first)
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > cachecontrol.MaxDelta {
		n = cachecontrol.MaxDelta
	}
	return seconds(n), true
}

// InitialAge is §4.2.3's corrected_initial_age: what the response's age was
// when it arrived, from its Age and Date and the request's round trip.
func InitialAge(h http.Header, requestTime, responseTime time.Time) time.Duration {
	var apparent time.Duration
	if date, ok := Date(h); ok {
		if d := responseTime.Sub(date); d > 0 {
			apparent = d
		}
	}
	age, _ := AgeValue(h)
	corrected := age + responseTime.Sub(requestTime)
	if corrected > apparent {
		return corrected
	}
	return apparent
}

// CurrentAge is §4.2.3's current_age at now.
func CurrentAge(h http.Header, requestTime, responseTime, now time.Time) time.Duration {
	resident := now.Sub(responseTime)
	if resident < 0 {
		resident = 0
	}
	return InitialAge(h, requestTime, responseTime) + resident
}

// AgeHeader renders an age as the Age field: whole seconds, rounded down,
// so a response never claims to be older than it is.
func AgeHeader(age time.Duration) string {
	if age < 0 {
		age = 0
	}
	return strconv.FormatInt(int64(age/time.Second), 10)
}

func seconds(n int64) time.Duration {
	if n > cachecontrol.MaxDelta {
		n = cachecontrol.MaxDelta
	}
	return time.Duration(n) * time.Second
}
