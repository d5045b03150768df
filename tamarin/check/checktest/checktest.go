// Package checktest builds synthetic OHTTP traces for tests of the trace
// checker, the exporter and the command line. The fact names are those of
// ohttp/facts.go (which this package does not import: tamarin depends on
// model only); the Builder's exchanges use the simpler shapes of the test
// theory tamarin/check/testdata/ohttp_fixture.spthy:
//
//	KeyPublish(G, kid, pk)              pk   = pk(~sk), digest on pk(...)
//	ClientSend(C, G, req, ereq)         req  = ~req, ereq = hpke(pk, ~ek, req)
//	RelayForward(C, G, ~blob)           the ereq's bytes, unopened
//	GatewayRecv(G, req, ereq)
//	TargetServe(T, req, resp)           resp = ~resp (recorded by the gateway)
//	GatewayReply(G, req, resp, eresp)   eresp = aead(rkey(ereq, ~rn), resp)
//	RelayReturn(C, G, ~blob)            the eresp's bytes, unopened
//	ClientRecv(C, G, req, resp)
//
// They differ from what the services record (ohttp/facts.go) and from
// tamarin/theories/ohttp.spthy in three ways: a client C is a public
// name ($client-0), not the fresh ~cid the services record; the response
// key is rkey(ereq, ~rn), not rkey(~ek, ~rn); and there is no RelayUp(R).
// Real builds a trace in the real shapes. Every concrete value carries the
// SHA-256 of stand-in bytes, so values are told apart as in a real trace.
package checktest

import (
	"fmt"
	"time"

	"github.com/edgelab/edgelab/model"
)

// The fact names, as in ohttp/facts.go (less RelayUp).
const (
	KeyPublish   = "KeyPublish"
	ClientSend   = "ClientSend"
	RelayForward = "RelayForward"
	GatewayRecv  = "GatewayRecv"
	TargetServe  = "TargetServe"
	GatewayReply = "GatewayReply"
	RelayReturn  = "RelayReturn"
	ClientRecv   = "ClientRecv"
)

// Term helpers; b are the concrete bytes. PublicKey, Request, Response,
// Blob and KeyID have facts.go's shapes.
func PublicKey(b string) model.Term {
	return model.Apply("pk", model.NewFresh("sk")).WithDigest([]byte(b))
}
func Request(b string) model.Term  { return model.NewFresh("req").WithDigest([]byte(b)) }
func Response(b string) model.Term { return model.NewFresh("resp").WithDigest([]byte(b)) }
func Blob(b string) model.Term     { return model.NewFresh("blob").WithDigest([]byte(b)) }
func KeyID(id int) model.Term      { return model.NewConst(fmt.Sprint(id)) }

// EncRequest is hpke(pk, ~ek, req) with the digest of ereq.
func EncRequest(pk model.Term, enc string, req model.Term, ereq string) model.Term {
	return model.Apply("hpke", pk, model.NewFresh("ek").WithDigest([]byte(enc)), req).WithDigest([]byte(ereq))
}

// EncResponse is aead(rkey(ereq, ~rn), resp) with the digest of eresp:
// the fixture theory's shape (facts.go keys it with rkey(~ek, ~rn)).
func EncResponse(ereq model.Term, nonce string, resp model.Term, eresp string) model.Term {
	k := model.Apply("rkey", ereq, model.NewFresh("rn").WithDigest([]byte(nonce)))
	return model.Apply("aead", k, resp).WithDigest([]byte(eresp))
}

// Builder records a synthetic trace.
type Builder struct {
	Trace model.Trace
	// Wire adds the network messages (Send and Deliver with payload
	// digests) that carry each exchange.
	Wire bool
	// Relay, Gateway and Target name the nodes; "relay", "gateway",
	// "target" by default. GatewayName and TargetName are the public names
	// recorded in facts ("gateway.example", "target.example").
	Relay, Gateway, Target  string
	GatewayName, TargetName string
	at                      time.Duration
	n                       int
}

// New returns a Builder with the default names.
func New() *Builder {
	return &Builder{Relay: "relay", Gateway: "gateway", Target: "target",
		GatewayName: "gateway.example", TargetName: "target.example"}
}

// Fact records an action fact on node.
func (b *Builder) Fact(node, name string, args ...model.Term) {
	b.at += time.Millisecond
	b.Trace.Append(model.Event{At: b.at, Node: node, Kind: model.Fact, Name: name, Args: args})
}

// Message records a message from one node to another whose payload has
// the digest of payload, sent and delivered, with optional attached terms.
func (b *Builder) Message(from, to, payload string, terms ...model.Term) {
	d := model.NewConst("").WithDigest([]byte(payload)).Digest
	b.n++
	attrs := map[string]string{model.AttrFrom: from, model.AttrTo: to, model.AttrDigest: d, model.AttrMsg: fmt.Sprint(b.n)}
	b.at += time.Millisecond
	b.Trace.Append(model.Event{At: b.at, Node: from, Kind: model.Send, Name: "msg", Args: terms, Attrs: attrs})
	b.at += time.Millisecond
	b.Trace.Append(model.Event{At: b.at, Node: to, Kind: model.Deliver, Name: "msg", Args: terms, Attrs: attrs})
}

// Key is a published key.
type Key struct {
	ID    int
	Bytes string
	PK    model.Term
}

// Publish records KeyPublish for key id with public key bytes pk.
func (b *Builder) Publish(id int, pk string) Key {
	k := Key{ID: id, Bytes: pk, PK: PublicKey(pk)}
	b.Fact(b.Gateway, KeyPublish, model.NewPub(b.GatewayName), KeyID(id), k.PK)
	return k
}

// Exchange is the terms of one request/response exchange.
type Exchange struct {
	Client                 string
	C, G, T                model.Term
	Req, Resp, EReq, EResp model.Term
	ReqBytes, RespBytes    string
	EReqBytes, ERespBytes  string
}

// NewExchange makes the terms of an exchange of client under key k whose
// request and response bytes are req and resp; the encapsulations get
// bytes derived from them.
func (b *Builder) NewExchange(client string, k Key, req, resp string) Exchange {
	x := Exchange{Client: client, C: model.NewPub(client), G: model.NewPub(b.GatewayName), T: model.NewPub(b.TargetName),
		Req: Request(req), Resp: Response(resp), ReqBytes: req, RespBytes: resp}
	b.n++
	x.EReqBytes = fmt.Sprintf("E%d(%s)", b.n, req)
	x.ERespBytes = fmt.Sprintf("E%d(%s)", b.n, resp)
	x.EReq = EncRequest(k.PK, fmt.Sprintf("enc:%d", b.n), x.Req, x.EReqBytes)
	x.EResp = EncResponse(x.EReq, fmt.Sprintf("nonce:%d", b.n), x.Resp, x.ERespBytes)
	return x
}

// Steps of an exchange, in the order the services record them. With Wire,
// each also records the messages that carry it.
func (b *Builder) Send(x Exchange) {
	b.Fact(x.Client, ClientSend, x.C, x.G, x.Req, x.EReq)
	if b.Wire {
		b.Message(x.Client, b.Relay, x.EReqBytes)
	}
}
func (b *Builder) Forward(x Exchange) {
	b.Fact(b.Relay, RelayForward, x.C, x.G, Blob(x.EReqBytes))
	if b.Wire {
		b.Message(b.Relay, b.Gateway, x.EReqBytes)
	}
}
func (b *Builder) Receive(x Exchange) { b.Fact(b.Gateway, GatewayRecv, x.G, x.Req, x.EReq) }
func (b *Builder) Serve(x Exchange) {
	if b.Wire {
		// HTTPS: the wire shows ciphertext only.
		b.Message(b.Gateway, b.Target, "TLS("+x.ReqBytes+")")
		b.Message(b.Target, b.Gateway, "TLS("+x.RespBytes+")")
	}
	b.Fact(b.Gateway, TargetServe, x.T, x.Req, x.Resp)
}
func (b *Builder) Reply(x Exchange) {
	b.Fact(b.Gateway, GatewayReply, x.G, x.Req, x.Resp, x.EResp)
	if b.Wire {
		b.Message(b.Gateway, b.Relay, x.ERespBytes)
	}
}
func (b *Builder) Return(x Exchange) {
	b.Fact(b.Relay, RelayReturn, x.C, x.G, Blob(x.ERespBytes))
	if b.Wire {
		b.Message(b.Relay, x.Client, x.ERespBytes)
	}
}
func (b *Builder) Open(x Exchange) { b.Fact(x.Client, ClientRecv, x.C, x.G, x.Req, x.Resp) }

// Run records a whole exchange.
func (b *Builder) Run(x Exchange) {
	b.Send(x)
	b.Forward(x)
	b.Receive(x)
	b.Serve(x)
	b.Reply(x)
	b.Return(x)
	b.Open(x)
}

// Honest returns a trace of one published key and n exchanges spread over
// clients clients, each exchange complete before the next starts, with
// network messages if wire.
func Honest(n, clients int, wire bool) *model.Trace {
	b := New()
	b.Wire = wire
	k := b.Publish(1, "pk-1")
	for i := 0; i < n; i++ {
		x := b.NewExchange(fmt.Sprintf("client-%d", i%max(clients, 1)), k, fmt.Sprintf("GET /%d", i), fmt.Sprintf("200 OK %d", i))
		b.Run(x)
	}
	return &b.Trace
}

// Interleaved returns a trace of n exchanges where up to window exchanges
// are in flight at once: all sends of a window, then all forwards, etc.
func Interleaved(n, clients, window int) *model.Trace {
	b := New()
	k := b.Publish(1, "pk-1")
	for start := 0; start < n; start += window {
		var xs []Exchange
		for i := start; i < min(n, start+window); i++ {
			xs = append(xs, b.NewExchange(fmt.Sprintf("client-%d", i%max(clients, 1)), k, fmt.Sprintf("GET /%d", i), fmt.Sprintf("200 OK %d", i)))
		}
		for _, f := range []func(Exchange){b.Send, b.Forward, b.Receive, b.Serve, b.Reply, b.Return, b.Open} {
			for _, x := range xs {
				f(x)
			}
		}
	}
	return &b.Trace
}

// Real returns a trace in the shapes ohttp/facts.go records and
// tamarin/theories/ohttp.spthy replays: key 1 published, a relay's
// RelayUp(~rid), then n complete exchanges, each from a client of its own
// (a fresh ~cid) with eresp = aead(rkey(~ek, ~rn), resp).
func Real(n int) *model.Trace {
	b := New()
	k := b.Publish(1, "pk-1")
	b.Fact(b.Relay, "RelayUp", model.NewFresh("rid").WithDigest([]byte(b.Relay)))
	g := model.NewPub(b.GatewayName)
	for i := 0; i < n; i++ {
		c := model.NewFresh("cid").WithDigest([]byte(fmt.Sprint("client", i)))
		req := Request(fmt.Sprint("GET /", i))
		resp := Response(fmt.Sprint("200 ", i))
		ek := model.NewFresh("ek").WithDigest([]byte(fmt.Sprint("enc", i)))
		ereq := model.Apply("hpke", k.PK, ek, req).WithDigest([]byte(fmt.Sprint("ereq", i)))
		rn := model.NewFresh("rn").WithDigest([]byte(fmt.Sprint("rn", i)))
		eresp := model.Apply("aead", model.Apply("rkey", ek, rn), resp).WithDigest([]byte(fmt.Sprint("eresp", i)))
		b.Fact("client", ClientSend, c, g, req, ereq)
		b.Fact(b.Relay, RelayForward, c, g, Blob(fmt.Sprint("ereq", i)))
		b.Fact(b.Gateway, GatewayRecv, g, req, ereq)
		b.Fact(b.Gateway, TargetServe, model.NewPub(b.TargetName), req, resp)
		b.Fact(b.Gateway, GatewayReply, g, req, resp, eresp)
		b.Fact(b.Relay, RelayReturn, c, g, Blob(fmt.Sprint("eresp", i)))
		b.Fact("client", ClientRecv, c, g, req, resp)
	}
	return &b.Trace
}
