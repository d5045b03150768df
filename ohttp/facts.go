package ohttp

import (
	"strconv"

	"github.com/edgelab/edgelab/model"
)

// The action facts the roles record, named as in the Tamarin theory. Each
// comment gives the arity and what each argument is. Identities are public
// names ($C, $G, $T); secret values are fresh names (~req) tagged with the
// SHA-256 of their concrete bytes, so a checker can bind the same value
// across parties by digest. A role uses a structured term where it knows
// the structure of a value and an opaque one where it does not.
//
// Terms used:
//
//	pk    = pk(~sk)               digest: encoded public key
//	kid   = 'N'                   the key identifier, in decimal
//	req   = ~req                  digest: Binary HTTP request bytes
//	resp  = ~resp                 digest: Binary HTTP response bytes
//	ereq  = hpke(pk, ~ek, req)    digest: encapsulated request bytes;
//	                              ~ek's digest is the encapsulated key (enc)
//	eresp = aead(rkey(~ek, ~rn), resp)
//	                              digest: encapsulated response bytes;
//	                              ~rn's digest is the response nonce
//	m     = ~blob                 digest: bytes a relay carried unopened
//	R     = ~rid                  digest: the relay's network address
//
// Chunked messages use the same facts; the digests are over the whole
// chunked body.
const (
	// KeyPublish(G, kid, pk): 3 — gateway G publishes key kid in the key
	// configuration every client gets; recorded by the Keyring when the
	// key is published.
	FactKeyPublish = "KeyPublish"
	// RelayUp(R): 1 — a relay starts serving at network address R;
	// recorded once, before the relay's first RelayForward.
	FactRelayUp = "RelayUp"
	// ClientSend(C, G, req, ereq): 4 — client C sends req to gateway G,
	// encapsulated as ereq, towards its relay.
	FactClientSend = "ClientSend"
	// RelayForward(C, G, m): 3 — the relay forwards body m from client
	// address C to gateway G. C is the request's RemoteAddr host.
	FactRelayForward = "RelayForward"
	// GatewayRecv(G, req, ereq): 3 — gateway G decapsulated ereq to req.
	FactGatewayRecv = "GatewayRecv"
	// TargetServe(T, req, resp): 3 — target T answered req with resp;
	// recorded by the gateway when the target's answer arrives.
	FactTargetServe = "TargetServe"
	// GatewayReply(G, req, resp, eresp): 4 — gateway G answers req with
	// resp, encapsulated as eresp. resp may be the gateway's own error
	// response (400, 403, 502, 504) when the target gave none.
	FactGatewayReply = "GatewayReply"
	// RelayReturn(C, G, m): 3 — the relay returns body m from gateway G to
	// client address C.
	FactRelayReturn = "RelayReturn"
	// ClientRecv(C, G, req, resp): 4 — client C opened resp as the answer
	// to req from gateway G.
	FactClientRecv = "ClientRecv"
)

// FactArity maps each fact name to its number of arguments.
var FactArity = map[string]int{
	FactKeyPublish:   3,
	FactRelayUp:      1,
	FactClientSend:   4,
	FactRelayForward: 3,
	FactGatewayRecv:  3,
	FactTargetServe:  3,
	FactGatewayReply: 4,
	FactRelayReturn:  3,
	FactClientRecv:   4,
}

// ClientIdentity is the client identity term ~cid of the theory: a fresh
// secret name, not a public $C, because "the adversary never learns who
// asked" is only meaningful for a value that is not public from the start.
// Its digest is over the client's network address as the relay sees it
// (the host part of RemoteAddr), so the client's own record (ClientSend,
// ClientRecv) and the relay's (RelayForward, RelayReturn) bind to the
// same value, and so does any copy of the address that leaks elsewhere.
func ClientIdentity(addr string) model.Term {
	return model.NewFresh("cid").WithDigest([]byte(addr))
}

// RelayIdentity is the relay identity term ~rid of the theory, a fresh
// secret name for the reason ClientIdentity is one: the gateway sees the
// relay's address as its peer, and a copy of it reaching the target tells
// the target which relay (and so which population of clients) a request
// came through. Its digest is over the relay's network address.
func RelayIdentity(addr string) model.Term {
	return model.NewFresh("rid").WithDigest([]byte(addr))
}

func keyIDTerm(id uint8) model.Term { return model.NewConst(strconv.Itoa(int(id))) }

func publicKeyTerm(pk []byte) model.Term {
	return model.Apply("pk", model.NewFresh("sk")).WithDigest(pk)
}

func requestTerm(b []byte) model.Term  { return model.NewFresh("req").WithDigest(b) }
func responseTerm(b []byte) model.Term { return model.NewFresh("resp").WithDigest(b) }
func blobTerm(b []byte) model.Term     { return model.NewFresh("blob").WithDigest(b) }

func encRequestTerm(pk, enc []byte, req model.Term, ereq []byte) model.Term {
	return model.Apply("hpke", publicKeyTerm(pk), model.NewFresh("ek").WithDigest(enc), req).WithDigest(ereq)
}

// encResponseTerm keys the response with the KEM secret ~ek (the second
// argument of ereq), not with ereq itself: ereq travels in the clear, and a
// key derived from it would be one the relay could compute.
func encResponseTerm(ereq model.Term, nonce []byte, resp model.Term, eresp []byte) model.Term {
	k := model.Apply("rkey", ereq.Args[1], model.NewFresh("rn").WithDigest(nonce))
	return model.Apply("aead", k, resp).WithDigest(eresp)
}

// record calls rec.Record if rec is set.
func record(rec model.Recorder, name string, args ...model.Term) {
	if rec != nil {
		rec.Record(name, args...)
	}
}
