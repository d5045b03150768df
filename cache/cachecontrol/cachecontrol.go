// Package cachecontrol parses the cache directives a shared cache obeys:
// Cache-Control (RFC 9111 §5.2, the legacy comma-separated syntax), Pragma
// (§5.4), and the targeted fields of RFC 9213 (CDN-Cache-Control and a
// product-specific one), which are Structured Field dictionaries.
//
// Parsing never fails: RFC 9111 asks a cache to ignore what it does not
// understand, so a malformed directive is dropped (and reported in
// Directives.Invalid) rather than rejected.
package cachecontrol

import (
	"strconv"
	"strings"

	"github.com/dunglas/httpsfv"
)

// Delta is a delta-seconds value (§1.2.2) that may be absent.
type Delta struct {
	Set     bool
	Seconds int64
}

// MaxDelta is the largest delta-seconds a cache must handle (2^31, §1.2.2);
// larger values are treated as this one.
const MaxDelta = 1 << 31

// Directives are the parsed directives of one Cache-Control (or targeted)
// field. Response and request directives share the type; each side reads
// the directives that apply to it.
type Directives struct {
	MaxAge, SMaxAge      Delta
	MaxStale             Delta // request: Set with Seconds == MaxDelta when valueless
	MinFresh             Delta
	StaleWhileRevalidate Delta // RFC 5861
	StaleIfError         Delta // RFC 5861

	NoStore, NoTransform, Public, MustRevalidate, ProxyRevalidate bool
	MustUnderstand, Immutable, OnlyIfCached                       bool

	// NoCache is true for a valueless no-cache; NoCacheFields lists the
	// field names of no-cache="a, b" (then NoCache is false).
	NoCache       bool
	NoCacheFields []string
	// Private is true for a valueless private; PrivateFields as above.
	Private       bool
	PrivateFields []string

	// Invalid names directives whose value could not be used.
	Invalid []string
	// Extensions are the directive names this package does not know.
	Extensions []string
}

// Parse reads every Cache-Control field line of a message.
func Parse(lines []string) Directives {
	var d Directives
	if len(lines) == 0 {
		return d // most requests: nothing to read, not even a map to make
	}
	seen := map[string]bool{}
	for _, line := range lines {
		for _, part := range splitList(line) {
			name, value, hasValue := cutDirective(part)
			if name == "" {
				continue
			}
			// §4.2.1: with repeated directives "either the first occurrence
			// should be used or the response should be considered stale";
			// the first wins.
			if seen[name] {
				continue
			}
			seen[name] = true
			d.set(name, value, hasValue)
		}
	}
	return d
}

func (d *Directives) set(name, value string, hasValue bool) {
	delta := func(dst *Delta) {
		if !hasValue {
			d.Invalid = append(d.Invalid, name)
			return
		}
		if s, ok := parseDelta(value); ok {
			*dst = Delta{Set: true, Seconds: s}
			return
		}
		d.Invalid = append(d.Invalid, name)
	}
	switch name {
	case "max-age":
		delta(&d.MaxAge)
	case "s-maxage":
		delta(&d.SMaxAge)
	case "min-fresh":
		delta(&d.MinFresh)
	case "stale-while-revalidate":
		delta(&d.StaleWhileRevalidate)
	case "stale-if-error":
		delta(&d.StaleIfError)
	case "max-stale":
		if !hasValue {
			d.MaxStale = Delta{Set: true, Seconds: MaxDelta}
			return
		}
		delta(&d.MaxStale)
	case "no-store":
		d.NoStore = true
	case "no-transform":
		d.NoTransform = true
	case "public":
		d.Public = true
	case "must-revalidate":
		d.MustRevalidate = true
	case "proxy-revalidate":
		d.ProxyRevalidate = true
	case "must-understand":
		d.MustUnderstand = true
	case "immutable":
		d.Immutable = true
	case "only-if-cached":
		d.OnlyIfCached = true
	case "no-cache":
		if fields := fieldNames(value); hasValue && len(fields) > 0 {
			d.NoCacheFields = fields
		} else {
			d.NoCache = true
		}
	case "private":
		if fields := fieldNames(value); hasValue && len(fields) > 0 {
			d.PrivateFields = fields
		} else {
			d.Private = true
		}
	default:
		d.Extensions = append(d.Extensions, name)
	}
}

// parseDelta reads 1*DIGIT, saturating at MaxDelta (§1.2.2).
func parseDelta(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	if len(s) > 10 {
		return MaxDelta, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > MaxDelta {
		return MaxDelta, true
	}
	return n, true
}

// fieldNames splits the field-name list of no-cache="..." or private="...",
// lower-cased.
func fieldNames(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f != "" && isToken(f) {
			out = append(out, f)
		}
	}
	return out
}

// cutDirective splits `name[=value]`, unquoting a quoted-string value.
// Names are case-insensitive (§5.2).
func cutDirective(part string) (name, value string, hasValue bool) {
	name, value, hasValue = strings.Cut(part, "=")
	name = strings.ToLower(strings.TrimSpace(name))
	if !isToken(name) {
		return "", "", false
	}
	value = strings.TrimSpace(value)
	if hasValue && strings.HasPrefix(value, `"`) {
		uq, ok := unquote(value)
		if !ok {
			return name, "", false
		}
		value = uq
	}
	return name, value, hasValue
}

// splitList splits a comma-separated list, keeping commas inside
// quoted strings.
func splitList(s string) []string {
	var out []string
	start, inQuote, escaped := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case inQuote && c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			if p := strings.TrimSpace(s[start:i]); p != "" {
				out = append(out, p)
			}
			start = i + 1
		}
	}
	if p := strings.TrimSpace(s[start:]); p != "" {
		out = append(out, p)
	}
	return out
}

func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if c == '\\' {
			i++
			if i >= len(s)-1 {
				return "", false
			}
			c = s[i]
		} else if c == '"' {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// PragmaNoCache reports whether Pragma carries no-cache (§5.4). A cache
// heeds it only when the request has no Cache-Control.
func PragmaNoCache(lines []string) bool {
	for _, line := range lines {
		for _, part := range splitList(line) {
			if name, _, _ := cutDirective(part); name == "no-cache" {
				return true
			}
		}
	}
	return false
}

// ParseTargeted reads a targeted cache-control field (RFC 9213 §2.1): a
// Structured Field dictionary whose integer members are delta-seconds and
// whose true booleans are valueless directives. ok is false when the
// field is absent, empty or fails to parse; RFC 9213 then has the cache
// ignore it, as if it were not there.
func ParseTargeted(lines []string) (d Directives, ok bool) {
	if len(lines) == 0 {
		return d, false
	}
	dict, err := httpsfv.UnmarshalDictionary(lines)
	if err != nil || len(dict.Names()) == 0 {
		return d, false
	}
	for _, name := range dict.Names() {
		m, _ := dict.Get(name)
		switch v := m.(type) {
		case httpsfv.Item:
			switch bv := v.Value.(type) {
			case bool:
				if bv {
					d.set(name, "", false)
				}
			case int64:
				if bv < 0 {
					d.Invalid = append(d.Invalid, name)
					continue
				}
				s := bv
				if s > MaxDelta {
					s = MaxDelta
				}
				d.set(name, strconv.FormatInt(s, 10), true)
			case string:
				d.set(name, bv, true)
			case httpsfv.Token:
				d.set(name, string(bv), true)
			default:
				d.Invalid = append(d.Invalid, name)
			}
		case httpsfv.InnerList:
			// private=("a" "b") and no-cache=(a b): field-name lists.
			var names []string
			for _, it := range v.Items {
				switch s := it.Value.(type) {
				case string:
					names = append(names, s)
				case httpsfv.Token:
					names = append(names, string(s))
				}
			}
			d.set(name, strings.Join(names, ","), true)
		}
	}
	return d, true
}

// ParseSurrogate reads Surrogate-Control (W3C Edge Architecture 1.0, a
// Note, not an RFC): a comma-separated list of directives, each applying
// to every surrogate or, with ";token" appended, only to the surrogate
// whose Surrogate-Capability device token that is. Of its directives a
// cache acts on max-age=N[+M] (a lifetime of N seconds, and M more
// during which a stale copy may serve when the origin fails, read as
// stale-if-error) and no-store and no-store-remote (both read as
// no-store: storing less is always safe); the rest (content="ESI/1.0"
// and such) are Extensions. ok is true when a max-age or no-store
// applies to device, and the field then rules in place of Cache-Control
// and Expires, as a targeted field does.
func ParseSurrogate(lines []string, device string) (d Directives, ok bool) {
	for _, line := range lines {
		for _, part := range splitList(line) {
			if i := strings.LastIndexByte(part, ';'); i >= 0 && !strings.Contains(part[i:], `"`) {
				target := strings.TrimSpace(part[i+1:])
				part = strings.TrimSpace(part[:i])
				if !strings.EqualFold(target, device) {
					continue
				}
			}
			if n, v, found := strings.Cut(part, "="); found && (strings.TrimRight(n, " \t") != n || strings.TrimLeft(v, " \t") != v) {
				continue // "max-age = 5": not the directive's syntax
			}
			name, value, hasValue := cutDirective(part)
			switch name {
			case "":
			case "max-age":
				n, ext, hasExt := strings.Cut(value, "+")
				s, valid := parseDelta(n)
				if !hasValue || !valid || d.MaxAge.Set {
					if !valid {
						d.Invalid = append(d.Invalid, name)
					}
					continue
				}
				d.MaxAge, ok = Delta{Set: true, Seconds: s}, true
				if e, valid := parseDelta(ext); hasExt && valid {
					d.StaleIfError = Delta{Set: true, Seconds: e}
				}
			case "no-store", "no-store-remote":
				d.NoStore, ok = true, true
			default:
				d.Extensions = append(d.Extensions, name)
			}
		}
	}
	return d, ok
}
