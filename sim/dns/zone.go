// Package dns is the simulated DNS: zones of records (A, AAAA, MX, TXT,
// CNAME, PTR) answered in wire format by Zone.Answer, with SERVFAIL,
// timeout, NXDOMAIN and stale-answer faults; and Client, a stub resolver
// with net.Resolver's method set and results, which sends its queries
// through any exchange function. It knows nothing of nodes or links: the
// kernel (package sim) carries the queries across the simulated network.
package dns

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// Record is one DNS resource record of a Zone.
type Record struct {
	// Name is the owner, fully qualified with a trailing dot
	// ("mail.example.com."). Case does not matter.
	Name string `json:"name"`
	// Type is "A", "AAAA", "MX", "TXT", "CNAME" or "PTR".
	Type string `json:"type"`
	// TTL in seconds, at most 2^31−1 (RFC 2181).
	TTL uint32 `json:"ttl"`
	// Pref is the MX preference (MX only).
	Pref uint16 `json:"pref,omitempty"`
	// Value is the record data: an IPv4 address (A), an IPv6 address
	// (AAAA), a fully qualified host name (MX, CNAME, PTR; an MX may also
	// be "." for a null MX, RFC 7505), or the text of a TXT record, sent as
	// character-strings of at most 255 bytes.
	Value string `json:"value,omitempty"`
	// Strings, for TXT only and instead of Value, gives the
	// character-strings explicitly, as a zone file's "v=spf1 " "a -all".
	Strings []string `json:"strings,omitempty"`
}

func (r Record) String() string {
	v := r.Value
	if r.Strings != nil {
		v = fmt.Sprintf("%q", r.Strings)
	}
	if r.Type == "MX" {
		return fmt.Sprintf("%s %d MX %d %s", r.Name, r.TTL, r.Pref, v)
	}
	return fmt.Sprintf("%s %d %s %s", r.Name, r.TTL, r.Type, v)
}

// RecordError says which record of a zone is wrong and why.
type RecordError struct {
	Index  int    // position in the list given
	Record Record // as given
	Err    error
}

func (e *RecordError) Error() string {
	name, typ := e.Record.Name, e.Record.Type
	if name == "" {
		name = "(no name)"
	}
	if typ == "" {
		typ = "(no type)"
	}
	return fmt.Sprintf("sim: zone record %d (%s %s): %v", e.Index, name, typ, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

var recordTypes = map[string]dnsmessage.Type{
	"A": dnsmessage.TypeA, "AAAA": dnsmessage.TypeAAAA, "MX": dnsmessage.TypeMX,
	"TXT": dnsmessage.TypeTXT, "CNAME": dnsmessage.TypeCNAME, "PTR": dnsmessage.TypePTR,
}

// KnownType reports whether t (any case) is a record type a Zone holds.
func KnownType(t string) bool {
	_, ok := recordTypes[strings.ToUpper(t)]
	return ok
}

// typeName is the zone-file name of a record type ("MX", not "TypeMX").
func typeName(t dnsmessage.Type) string {
	for name, v := range recordTypes {
		if v == t {
			return name
		}
	}
	return t.String()
}

// rr is a validated record in the form the server answers with.
type rr struct {
	name  string // folded
	typ   dnsmessage.Type
	ttl   uint32
	pref  uint16
	addr  netip.Addr // A, AAAA
	host  string     // MX, CNAME, PTR target, folded
	texts []string   // TXT character-strings
}

// key identifies a record for duplicate detection.
func (r rr) key() string {
	return fmt.Sprintf("%s|%d|%d|%v|%s|%q", r.name, r.typ, r.pref, r.addr, r.host, r.texts)
}

// zoneData is one version of a zone's content.
type zoneData struct {
	records []Record        // as given, for Records()
	byName  map[string][]rr // owner → records, in the order given
	// exists holds every owner and every ancestor of one: a name with
	// records below it but none of its own is an empty non-terminal, which
	// answers NODATA, not NXDOMAIN (RFC 8020).
	exists map[string]bool
}

// compileRecord validates r.
func compileRecord(r Record) (rr, error) {
	if err := CheckName(r.Name); err != nil {
		return rr{}, fmt.Errorf("name: %w", err)
	}
	out := rr{name: foldName(r.Name), ttl: r.TTL, pref: r.Pref}
	typ, ok := recordTypes[strings.ToUpper(r.Type)]
	if !ok {
		return rr{}, fmt.Errorf("type %q is not one of A, AAAA, MX, TXT, CNAME, PTR", r.Type)
	}
	out.typ = typ
	if r.TTL > 1<<31-1 {
		return rr{}, fmt.Errorf("ttl %d exceeds 2147483647 (RFC 2181)", r.TTL)
	}
	if r.Pref != 0 && typ != dnsmessage.TypeMX {
		return rr{}, fmt.Errorf("pref is only for MX records")
	}
	if r.Strings != nil && typ != dnsmessage.TypeTXT {
		return rr{}, fmt.Errorf("strings is only for TXT records")
	}
	switch typ {
	case dnsmessage.TypeA, dnsmessage.TypeAAAA:
		a, err := netip.ParseAddr(r.Value)
		switch {
		case err != nil:
			return rr{}, fmt.Errorf("value %q is not an IP address", r.Value)
		case a.Zone() != "":
			return rr{}, fmt.Errorf("value %q has a zone, which DNS cannot carry", r.Value)
		case typ == dnsmessage.TypeA && !a.Is4():
			return rr{}, fmt.Errorf("value %q is not an IPv4 address (use AAAA)", r.Value)
		case typ == dnsmessage.TypeAAAA && !a.Is6():
			return rr{}, fmt.Errorf("value %q is not an IPv6 address (use A)", r.Value)
		}
		out.addr = a
	case dnsmessage.TypeMX, dnsmessage.TypeCNAME, dnsmessage.TypePTR:
		if typ == dnsmessage.TypeMX && r.Value == "." {
			out.host = "."
			break
		}
		if err := CheckName(r.Value); err != nil {
			return rr{}, fmt.Errorf("value: %w", err)
		}
		out.host = foldName(r.Value)
	case dnsmessage.TypeTXT:
		switch {
		case r.Strings != nil && r.Value != "":
			return rr{}, fmt.Errorf("give either value or strings, not both")
		case r.Strings != nil:
			if len(r.Strings) == 0 {
				return rr{}, fmt.Errorf("strings is empty; a TXT record has at least one string")
			}
			for i, s := range r.Strings {
				if len(s) > 255 {
					return rr{}, fmt.Errorf("strings[%d] is %d bytes; a character-string holds at most 255", i, len(s))
				}
			}
			out.texts = slices.Clone(r.Strings)
		default:
			out.texts = splitTXT(r.Value)
		}
	}
	return out, nil
}

// CheckRecord reports what is wrong with r on its own (a zone may still
// refuse it beside others: a duplicate, a CNAME with company).
func CheckRecord(r Record) error {
	_, err := compileRecord(r)
	return err
}

// splitTXT cuts text into 255-byte character-strings, as zone tools do
// with long SPF or DKIM records; resolvers join them back.
func splitTXT(text string) []string {
	if text == "" {
		return []string{""}
	}
	var out []string
	for len(text) > 255 {
		out = append(out, text[:255])
		text = text[255:]
	}
	return append(out, text)
}

// compileZone validates records into one zone version.
func compileZone(records []Record) (*zoneData, error) {
	z := &zoneData{records: slices.Clone(records), byName: map[string][]rr{}, exists: map[string]bool{}}
	seen := map[string]int{}
	for i, r := range records {
		c, err := compileRecord(r)
		if err != nil {
			return nil, &RecordError{Index: i, Record: r, Err: err}
		}
		if j, dup := seen[c.key()]; dup {
			return nil, &RecordError{Index: i, Record: r, Err: fmt.Errorf("duplicate of record %d", j)}
		}
		seen[c.key()] = i
		for _, other := range z.byName[c.name] {
			if (c.typ == dnsmessage.TypeCNAME) != (other.typ == dnsmessage.TypeCNAME) || c.typ == dnsmessage.TypeCNAME {
				return nil, &RecordError{Index: i, Record: r,
					Err: fmt.Errorf("a name with a CNAME can have no other records (RFC 1034), and %s already has %s", r.Name, typeName(other.typ))}
			}
		}
		z.byName[c.name] = append(z.byName[c.name], c)
		for n := c.name; n != "."; {
			z.exists[n] = true
			if i := strings.IndexByte(n, '.'); i+1 < len(n) {
				n = n[i+1:]
			} else {
				n = "."
			}
		}
	}
	return z, nil
}

// Zone is the simulated DNS: every record of the simulated world, served by
// Answer. It keeps its earlier versions so that a fault can serve stale
// data, as a lagging secondary or a cache would.
//
// A Zone is not safe for concurrent use; the kernel runs one task at a time.
type Zone struct {
	versions []*zoneData
	faults   []Fault
}

// NewZone validates records and returns a zone at version 0.
func NewZone(records ...Record) (*Zone, error) {
	d, err := compileZone(records)
	if err != nil {
		return nil, err
	}
	return &Zone{versions: []*zoneData{d}}, nil
}

// Update replaces the zone's records with a new version (an operator
// changing DNS mid-run). Earlier versions stay available to stale faults.
func (z *Zone) Update(records ...Record) error {
	d, err := compileZone(records)
	if err != nil {
		return err
	}
	z.versions = append(z.versions, d)
	return nil
}

// Version is the number of the current version, starting at 0.
func (z *Zone) Version() int { return len(z.versions) - 1 }

// Records returns the records of the current version, as given.
func (z *Zone) Records() []Record { return slices.Clone(z.current().records) }

func (z *Zone) current() *zoneData { return z.versions[len(z.versions)-1] }
