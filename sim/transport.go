package sim

// This file is the client side of simulated HTTP: an http.RoundTripper per
// node that writes the request with http.Request.Write, sends the bytes to
// the node that owns the URL's host, parks the calling task until the
// response bytes arrive or the request's context is done, and parses them
// with http.ReadResponse (a streamed response as its segments arrive,
// http_stream.go).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/internal/wire"
)

type transport struct {
	n *Node
}

// exchange is the client's end of one round trip: the ephemeral port's
// endpoint. A response arrives whole (resp) or as a stream (body).
type exchange struct {
	t     *task
	ctx   context.Context
	n     *Node
	local uint16
	resp  []byte
	body  *streamBody
}

func (x *exchange) receive(m *message) {
	if m.label == streamLabel {
		if x.resp == nil {
			x.receiveSegment(m)
		}
		return
	}
	if x.resp != nil || x.body != nil {
		return // a duplicate response: the first one won
	}
	x.resp = m.data
	x.t.s.wake(x.t, x.t.gen)
}

// release frees the exchange's port: the response is in, or abandoned.
func (x *exchange) release() { x.n.unbind(x.local, x) }

// HostError reports a URL host the simulation cannot route to.
type HostError struct {
	Host string
	Err  error
}

func (e *HostError) Error() string {
	return "sim: host " + strconv.Quote(e.Host) + ": " + e.Err.Error()
}
func (e *HostError) Unwrap() error { return e.Err }

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	n := tr.n
	s := n.s
	t := s.current("RoundTrip")
	ctx := req.Context()
	if req.URL == nil {
		closeBody(req)
		return nil, errors.New("sim: http: nil Request.URL")
	}
	var port uint16
	switch req.URL.Scheme {
	case "http":
		port = 80
	case "https":
		port = 443
	default:
		closeBody(req)
		return nil, fmt.Errorf("sim: unsupported protocol scheme %q", req.URL.Scheme)
	}
	if p := req.URL.Port(); p != "" {
		v, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			closeBody(req)
			return nil, &HostError{Host: req.URL.Host, Err: err}
		}
		port = uint16(v)
	}
	addr, err := tr.resolve(ctx, req.URL.Hostname())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	data, err := wire.Request(req)
	if err != nil {
		return nil, err
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	x := &exchange{t: t, ctx: ctx, n: n}
	local, err := n.ephemeralPort(x)
	if err != nil {
		return nil, err
	}
	x.local = local
	streamed := false
	defer func() {
		if !streamed {
			x.release()
		}
	}()
	n.send("http-request", local, netip.AddrPortFrom(addr, port), data)
	for x.resp == nil && x.body == nil {
		if err := ctxErr(ctx); err != nil {
			return nil, err
		}
		s.watch(ctx, t)
		t.park("http response")
	}
	if x.body != nil {
		// The body's reader frees the port when the stream ends or the
		// body is closed.
		streamed = true
		return readStreamed(x, req)
	}
	wr := getWireReader(x.resp)
	resp, err := http.ReadResponse(wr.br, req)
	switch {
	case err != nil:
		putWireReader(wr)
		return nil, err
	case resp.Body == http.NoBody:
		putWireReader(wr)
	default:
		resp.Body = &wireBody{ReadCloser: resp.Body, wr: wr}
	}
	return resp, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// resolve maps a URL host to an address: the node's HostResolver if set,
// else a node name or an IP literal.
func (tr *transport) resolve(ctx context.Context, host string) (netip.Addr, error) {
	if tr.n.hostAddrs != nil {
		return tr.n.hostAddrs(ctx, tr.n.env, host)
	}
	return DefaultHostResolver(ctx, tr.n.env, host)
}

// DefaultHostResolver resolves a node name to its IPv4 address and passes
// IP literals through (an address nobody owns swallows the request, as a
// real network would, and the client's deadline fires). Any other host is
// looked up with the node's resolver when the run serves DNS or the node
// has a resolver of its own (the first address, IPv4 before IPv6), and is
// unknown otherwise.
func DefaultHostResolver(ctx context.Context, env env.Env, host string) (netip.Addr, error) {
	ne, ok := env.(*nodeEnv)
	if !ok {
		return netip.Addr{}, &HostError{Host: host, Err: errors.New("not a simulated node")}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a, nil
	}
	if n := ne.n.s.byName[host]; n != nil {
		return n.v4, nil
	}
	if ne.n.s.dns != nil || ne.n.resolver != nil {
		return ne.n.lookupHostDNS(ctx, host)
	}
	return netip.Addr{}, &HostError{Host: host, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
}
