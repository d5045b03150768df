package ohttpsim

// This file is property 1, checked symbolically on one run's trace.

import (
	"fmt"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/ohttp"
)

// linked is a client identity and one of its requests (as sealed, and as
// content).
type linked struct {
	client string
	cid    model.Term
	reqs   []model.Term
}

// Symbolic checks property 1 on r:
//
//   - no single non-client party (each relay, gateway, target) can derive both
//     a client's identity ~cid and one of that client's requests (the
//     Binary HTTP request it sealed, or the request's content);
//   - the relay derives no request, no response and no content;
//   - the gateway derives no client identity;
//   - the target derives no network address but the gateway's, and no
//     client identity;
//   - every response is sealed under the context of its own request,
//     no HPKE context serves two different requests, and every response
//     a client accepted is one the gateway made for that request (and no
//     client accepted an answer that was not the target's answer to it).
func Symbolic(r *Result) Verdict {
	var v violations
	b := r.Binding()
	clients := r.linkedRequests()
	var secrets []model.Term // requests, responses and contents
	for _, c := range clients {
		secrets = append(secrets, c.reqs...)
	}
	for _, e := range r.Trace.Facts() {
		if e.Name == ohttp.FactGatewayReply && len(e.Args) == 4 {
			secrets = append(secrets, e.Args[2])
		}
	}

	isRelay := map[string]bool{}
	for _, rl := range r.Config.relays() {
		isRelay[rl] = true
	}
	isGateway := map[string]bool{}
	for _, g := range r.Config.gateways() {
		isGateway[g] = true
	}
	for _, p := range append(append(r.Config.relays(), r.Config.gateways()...), TargetNode) {
		k := r.Knowledge(p, b)
		for _, c := range clients {
			knowsID := k.Derivable(c.cid)
			if knowsID && !isRelay[p] {
				v.add(fmt.Sprintf("%s derives the identity of %s", p, c.client))
			}
			if !knowsID {
				continue
			}
			for _, q := range c.reqs {
				if k.Derivable(q) {
					v.add(fmt.Sprintf("%s links %s to its request %s", p, c.client, short(q)))
					break
				}
			}
		}
		switch {
		case isRelay[p]:
			for _, s := range secrets {
				if k.Derivable(s) {
					v.add(p + " derives " + short(s))
					break
				}
			}
		case p == TargetNode:
			for node, addr := range r.Addrs {
				if !isGateway[node] && node != TargetNode && k.Derivable(obsAtom(addr)) {
					v.add(fmt.Sprintf("target learns the address of %s", node))
				}
			}
		}
	}
	r.checkBinding(&v)
	return v.verdict(PropSymbolic)
}

// linkedRequests gathers each client's identity and requests: the sealed
// requests its ClientSend facts name and the contents of its slots.
func (r *Result) linkedRequests() []linked {
	byNode := map[string]*linked{}
	var out []*linked
	for i := 1; i <= r.Config.Clients; i++ {
		n := ClientNode(i)
		l := &linked{client: n, cid: ohttp.ClientIdentity(r.Addrs[n])}
		byNode[n] = l
		out = append(out, l)
	}
	for _, s := range r.Workload {
		l := out[s.Client-1]
		l.reqs = append(l.reqs, ContentTerm(s.Body))
	}
	for _, e := range r.Trace.Facts() {
		if e.Name == ohttp.FactClientSend && len(e.Args) == 4 {
			if l := byNode[e.Node]; l != nil {
				l.reqs = append(l.reqs, e.Args[2])
			}
		}
	}
	res := make([]linked, len(out))
	for i, l := range out {
		res[i] = *l
	}
	return res
}

// checkBinding checks that responses are bound to their requests.
func (r *Result) checkBinding(v *violations) {
	ekOf := map[string]map[string]bool{}   // req digest -> ek digests
	reqsOf := map[string]map[string]bool{} // ek digest -> req digests
	note := func(req, ereq model.Term) {
		if len(ereq.Args) != 3 {
			return
		}
		ek := ereq.Args[1].Digest
		add(ekOf, req.Digest, ek)
		add(reqsOf, ek, req.Digest)
	}
	type pair struct{ req, resp string }
	made := map[pair]bool{}
	facts := r.Trace.Facts()
	for _, e := range facts {
		switch {
		case e.Name == ohttp.FactClientSend && len(e.Args) == 4:
			note(e.Args[2], e.Args[3])
		case e.Name == ohttp.FactGatewayRecv && len(e.Args) == 3:
			note(e.Args[1], e.Args[2])
		}
	}
	for ek, reqs := range reqsOf {
		if len(reqs) > 1 {
			v.add(fmt.Sprintf("one HPKE context (enc %s…) serves %d different requests", ek[:8], len(reqs)))
		}
	}
	for _, e := range facts {
		switch {
		case e.Name == ohttp.FactGatewayReply && len(e.Args) == 4:
			req, resp, eresp := e.Args[1], e.Args[2], e.Args[3]
			made[pair{req.Digest, resp.Digest}] = true
			if len(eresp.Args) != 2 || len(eresp.Args[0].Args) != 2 {
				continue
			}
			if ek := eresp.Args[0].Args[0].Digest; !ekOf[req.Digest][ek] {
				v.add(fmt.Sprintf("the response to %s is sealed under another request's context", short(req)))
			}
		case e.Name == ohttp.FactClientRecv && len(e.Args) == 4:
			if !made[pair{e.Args[2].Digest, e.Args[3].Digest}] {
				v.add(fmt.Sprintf("%s accepted a response the gateway did not make for %s", e.Node, short(e.Args[2])))
			}
		}
	}
	if n := r.Stats.Mismatched; n > 0 {
		v.add(fmt.Sprintf("%d responses accepted that answer another request", n))
	}
}

func add(m map[string]map[string]bool, k, v string) {
	if m[k] == nil {
		m[k] = map[string]bool{}
	}
	m[k][v] = true
}

// short names a term by its symbol and digest prefix.
func short(t model.Term) string {
	d := t.Digest
	if len(d) > 8 {
		d = d[:8]
	}
	return t.String() + "#" + d
}
