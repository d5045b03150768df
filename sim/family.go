package sim

// This file holds per-address-family outages: one family down while the
// other still works, on some links or on a whole node, as when a site's
// IPv6 routes are withdrawn or a host has lost its IPv6 default route.
// Every node has both an IPv4 and an IPv6 address, and a message travels in
// the family of its destination address, so an outage drops exactly the
// messages of its family. The outage is a black hole, as a withdrawn route
// upstream is: the dialer's retries or its deadline tell, the same way
// they tell a partition (so a world's properties meet one kind of
// failure, a timeout).

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/edgelab/edgelab/sim/link"
)

// ReasonFamily is the drop reason of a message whose address family is
// down on its path.
const ReasonFamily = "family-down"

// Outage names one family outage, to end it with FamilyUp.
type Outage uint64

// familyOutage is one family down on a cut of the network, or on a node
// (every message to or from it).
type familyOutage struct {
	id   Outage
	v6   bool
	node *Node // nil: the outage is on the links of c
	c    cut
}

// FamilyDown takes family fam down on the links from each node in from to
// each node in to, and back unless oneway, until FamilyUp or Heal.
func (nw *Network) FamilyDown(fam link.Family, from, to []string, oneway bool) (Outage, error) {
	if err := fam.Check(); err != nil {
		return 0, err
	}
	sa, err := nw.set(from)
	if err != nil {
		return 0, err
	}
	sb, err := nw.set(to)
	if err != nil {
		return 0, err
	}
	attrs := map[string]string{"family": string(fam), "from": strings.Join(from, ","), "to": strings.Join(to, ",")}
	id := nw.addOutage(familyOutage{v6: fam == link.IPv6, c: cut{sa, sb}})
	if !oneway {
		nw.famOut = append(nw.famOut, familyOutage{id: id, v6: fam == link.IPv6, c: cut{sb, sa}})
	} else {
		attrs["oneway"] = "true"
	}
	nw.fault("family-down", attrs)
	return id, nil
}

// NodeFamilyDown takes family fam down on node: nothing of that family
// reaches it or leaves it, until FamilyUp or Heal.
func (nw *Network) NodeFamilyDown(node string, fam link.Family) (Outage, error) {
	if err := fam.Check(); err != nil {
		return 0, err
	}
	n, err := nw.node(node)
	if err != nil {
		return 0, err
	}
	id := nw.addOutage(familyOutage{v6: fam == link.IPv6, node: n})
	nw.fault("family-down", map[string]string{"family": string(fam), "node": node})
	return id, nil
}

func (nw *Network) addOutage(o familyOutage) Outage {
	nw.famIDs++
	o.id = Outage(nw.famIDs)
	nw.famOut = append(nw.famOut, o)
	return o.id
}

// FamilyUp ends outage o; an outage already ended (or healed) is ignored.
func (nw *Network) FamilyUp(o Outage) {
	n := len(nw.famOut)
	nw.famOut = deleteOutage(nw.famOut, o)
	if len(nw.famOut) != n {
		nw.fault("family-up", map[string]string{"outage": fmt.Sprint(uint64(o))})
	}
}

func deleteOutage(os []familyOutage, o Outage) []familyOutage {
	keep := os[:0]
	for _, x := range os {
		if x.id != o {
			keep = append(keep, x)
		}
	}
	clear(os[len(keep):])
	return keep
}

// familyCut reports whether messages of the family of dst (IPv6 unless it
// is an IPv4 or IPv4-mapped address) from a to b are dropped.
func (nw *Network) familyCut(a, b *Node, v6 bool) bool {
	for i := range nw.famOut {
		o := &nw.famOut[i]
		if o.v6 != v6 {
			continue
		}
		if o.node != nil {
			if o.node == a || o.node == b {
				return true
			}
		} else if o.c.from.has(a.idx) && o.c.to.has(b.idx) {
			return true
		}
	}
	return false
}

// isV6 reports whether a message to addr travels over IPv6.
func isV6(addr netip.Addr) bool { return addr.Is6() && !addr.Is4In6() }
