// Package control is the envelope of internal fields one cache tier
// attaches to a request for the next: which origin to use (host and port,
// scheme), the zone and route it belongs to, how many tiers it has crossed
// and which. The envelope is authenticated with an HMAC-SHA256 under a
// per-deployment key and bound to the request's method and target, so a
// client cannot forge one and a tier cannot be steered by a copy lifted
// from another request.
//
// An upper tier reads the envelope with Read; anything missing, malformed
// or unauthenticated is a typed error, so the tier can fail fast instead of
// acting on an empty origin name.
package control

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// The fields, all under Prefix so a tier can strip every one of them.
const (
	Prefix     = "Edgelab-Ctl-"
	FieldHost  = Prefix + "Origin"  // origin host[:port]
	FieldProto = Prefix + "Scheme"  // http or https
	FieldZone  = Prefix + "Zone"    // the zone's name
	FieldRoute = Prefix + "Route"   // the route id within the zone
	FieldHops  = Prefix + "Hops"    // tiers crossed so far
	FieldPath  = Prefix + "Path"    // the tiers crossed, comma-separated
	FieldMAC   = Prefix + "Mac"     // base64url HMAC-SHA256 of the envelope
	maxField   = 512                // bound on any one field's value
	version    = "edgelab-ctl-v1\n" // domain separation for the MAC
)

// MaxHops bounds the tiers a request may cross (a routing loop ends here).
const MaxHops = 8

// Context is what a tier tells the next.
type Context struct {
	OriginHost string // host[:port]
	Scheme     string
	Zone       string
	Route      string
	Hops       int
	Path       []string // tier names, nearest the client first
}

// Typed errors of Read.
var (
	ErrMissing   = errors.New("control: no control context")
	ErrMalformed = errors.New("control: malformed control context")
	ErrMAC       = errors.New("control: control context not authenticated")
	ErrHops      = errors.New("control: too many tiers crossed")
)

// IsInternal reports whether a field name belongs to the envelope.
func IsInternal(name string) bool {
	return len(name) >= len(Prefix) && strings.EqualFold(name[:len(Prefix)], Prefix)
}

// Strip removes every envelope field from h.
func Strip(h http.Header) {
	for k := range h {
		if IsInternal(k) {
			delete(h, k)
		}
	}
}

// Attach writes c into h, authenticated under key for method and target
// (the request-target the next tier receives). Any envelope already in h is
// replaced.
func Attach(h http.Header, c Context, key []byte, method, target string) {
	Strip(h)
	h.Set(FieldHost, c.OriginHost)
	h.Set(FieldProto, c.Scheme)
	h.Set(FieldZone, c.Zone)
	h.Set(FieldRoute, c.Route)
	h.Set(FieldHops, strconv.Itoa(c.Hops))
	h.Set(FieldPath, strings.Join(c.Path, ","))
	h.Set(FieldMAC, base64.RawURLEncoding.EncodeToString(mac(c, key, method, target)))
}

// Read returns the authenticated context in h for method and target.
func Read(h http.Header, key []byte, method, target string) (Context, error) {
	if len(h.Values(FieldMAC)) == 0 && len(h.Values(FieldHost)) == 0 {
		return Context{}, ErrMissing
	}
	one := func(f string) (string, error) {
		v := h.Values(f)
		if len(v) != 1 || len(v[0]) > maxField {
			return "", fmt.Errorf("%w: %s", ErrMalformed, f)
		}
		return v[0], nil
	}
	var c Context
	var err error
	var hops, path, tag string
	for _, p := range []struct {
		f   string
		dst *string
	}{{FieldHost, &c.OriginHost}, {FieldProto, &c.Scheme}, {FieldZone, &c.Zone}, {FieldRoute, &c.Route},
		{FieldHops, &hops}, {FieldPath, &path}, {FieldMAC, &tag}} {
		if *p.dst, err = one(p.f); err != nil {
			return Context{}, err
		}
	}
	if c.Hops, err = strconv.Atoi(hops); err != nil || c.Hops < 1 {
		return Context{}, fmt.Errorf("%w: hop count %q", ErrMalformed, hops)
	}
	if path != "" {
		c.Path = strings.Split(path, ",")
	}
	got, err := base64.RawURLEncoding.DecodeString(tag)
	if err != nil || !hmac.Equal(got, mac(c, key, method, target)) {
		return Context{}, ErrMAC
	}
	// Only an authenticated envelope is judged on its content.
	if c.OriginHost == "" || !validHost(c.OriginHost) {
		return Context{}, fmt.Errorf("%w: origin host %q", ErrMalformed, c.OriginHost)
	}
	if c.Scheme != "http" && c.Scheme != "https" {
		return Context{}, fmt.Errorf("%w: scheme %q", ErrMalformed, c.Scheme)
	}
	if c.Hops > MaxHops {
		return Context{}, ErrHops
	}
	return c, nil
}

// Next is the context a tier named tier forwards: one more hop, itself
// appended to the path.
func (c Context) Next(tier string) Context {
	n := c
	n.Hops++
	n.Path = append(append([]string(nil), c.Path...), tier)
	return n
}

// mac is HMAC-SHA256 over the length-prefixed envelope fields, the method
// and the target.
func mac(c Context, key []byte, method, target string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(version))
	for _, s := range []string{c.OriginHost, c.Scheme, c.Zone, c.Route, strconv.Itoa(c.Hops), strings.Join(c.Path, ","), method, target} {
		var n [4]byte
		l := len(s)
		n[0], n[1], n[2], n[3] = byte(l>>24), byte(l>>16), byte(l>>8), byte(l)
		m.Write(n[:])
		m.Write([]byte(s))
	}
	return m.Sum(nil)
}

// validHost accepts host or host:port with a non-empty host of name or
// address characters.
func validHost(hp string) bool {
	host := hp
	if h, p, err := net.SplitHostPort(hp); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return false
		}
		host = h
	}
	if host == "" {
		return false
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':' || c == '_') {
			return false
		}
	}
	return true
}
