package plan

// This file holds DNS zones as plan data: decoding that keeps track of
// which fields each record gave, so that validation can say exactly which
// field of which record is wrong ("nodes.dns.zone[3].type").

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/edgelab/edgelab/sim/dns"
)

// ZoneSpec is a DNS zone in a plan. In JSON it is either the form that
// LoadZone reads, {"records": [...]}, or just the list of records:
//
//	[{"name": "example.com.", "type": "MX", "ttl": 300, "pref": 10, "value": "mx.example.com."},
//	 {"name": "mx.example.com.", "type": "A", "ttl": 60, "value": "10.0.0.3"},
//	 {"name": "example.com.", "type": "TXT", "ttl": 60, "strings": ["v=spf1 ", "mx -all"]}]
//
// Each record gives name, type and ttl; pref for MX records and only for
// them; and value or (TXT only) strings. See Record for the values.
type ZoneSpec struct {
	Records []dns.Record
	// given is what the JSON gave of each record, so that a missing ttl
	// or a pref on an A record is an error and not a zero.
	given []recordJSON
	// wrapped: the JSON was {"records": [...]}, and errors say so.
	wrapped bool
}

// recordJSON is a record as the plan's JSON gave it: pointers, so that a
// field given where it does not belong or missing where it is required is
// caught, not read as zero.
type recordJSON struct {
	Name    *string   `json:"name"`
	Type    *string   `json:"type"`
	TTL     *uint32   `json:"ttl"`
	Pref    *uint16   `json:"pref"`
	Value   *string   `json:"value"`
	Strings *[]string `json:"strings"`
}

var zoneSpecType = reflect.TypeFor[ZoneSpec]()

// recordTypeList is what an unknown record type error offers instead.
const recordTypeList = "A, AAAA, MX, TXT, CNAME or PTR"

// zoneErr reports a decoding problem as the decoder's own error type, so
// that it comes out annotated with the path of the zone in the plan.
func zoneErr(field, msg string) error {
	return &json.UnmarshalTypeError{Value: msg, Type: zoneSpecType, Field: field}
}

func (z *ZoneSpec) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	var elems []json.RawMessage
	prefix := ""
	wrapped := len(b) > 0 && b[0] == '{'
	if wrapped {
		var obj struct {
			Records *[]json.RawMessage `json:"records"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&obj); err != nil {
			field, msg := decodeProblem(err)
			return zoneErr(field, msg)
		}
		if obj.Records == nil {
			return zoneErr("records", "missing")
		}
		elems, prefix = *obj.Records, "records"
	} else if err := json.Unmarshal(b, &elems); err != nil {
		return zoneErr("", `want a list of records, or {"records": [...]}`)
	}
	out := ZoneSpec{Records: make([]dns.Record, len(elems)), given: make([]recordJSON, len(elems)), wrapped: wrapped}
	for i, raw := range elems {
		f := prefix + "[" + strconv.Itoa(i) + "]"
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var g recordJSON
		if err := dec.Decode(&g); err != nil {
			field, msg := decodeProblem(err)
			return zoneErr(joinField(f, field), msg)
		}
		out.given[i] = g
		out.Records[i] = g.record()
	}
	*z = out
	return nil
}

// record is what a decoded record says, absent fields as zero values.
func (g *recordJSON) record() dns.Record {
	var r dns.Record
	if g.Name != nil {
		r.Name = *g.Name
	}
	if g.Type != nil {
		r.Type = *g.Type
	}
	if g.TTL != nil {
		r.TTL = *g.TTL
	}
	if g.Pref != nil {
		r.Pref = *g.Pref
	}
	if g.Value != nil {
		r.Value = *g.Value
	}
	if g.Strings != nil {
		r.Strings = *g.Strings
		if r.Strings == nil {
			r.Strings = []string{}
		}
	}
	return r
}

// recordOut is a record as a plan writes it: pref only for MX, strings
// instead of value when the record has them.
type recordOut struct {
	Name    string    `json:"name"`
	Type    string    `json:"type"`
	TTL     uint32    `json:"ttl"`
	Pref    *uint16   `json:"pref,omitempty"`
	Value   *string   `json:"value,omitempty"`
	Strings *[]string `json:"strings,omitempty"`
}

// MarshalJSON writes the zone in the form it was read in (the bare list
// for a ZoneSpec made in Go), so a plan round-trips.
func (z ZoneSpec) MarshalJSON() ([]byte, error) {
	recs := make([]recordOut, len(z.Records))
	for i, r := range z.Records {
		o := recordOut{Name: r.Name, Type: r.Type, TTL: r.TTL}
		if strings.EqualFold(r.Type, "MX") {
			o.Pref = &r.Pref
		}
		if r.Strings != nil {
			o.Strings = &r.Strings
		} else {
			o.Value = &r.Value
		}
		recs[i] = o
	}
	if z.wrapped {
		return json.Marshal(struct {
			Records []recordOut `json:"records"`
		}{recs})
	}
	return json.Marshal(recs)
}

// validate checks every record, then the zone as a whole (duplicates,
// names with a CNAME and other records).
func (z *ZoneSpec) validate(field string) error {
	at := func(i int) string {
		if z.wrapped {
			return field + ".records[" + strconv.Itoa(i) + "]"
		}
		return field + "[" + strconv.Itoa(i) + "]"
	}
	for i, r := range z.Records {
		var g *recordJSON
		if i < len(z.given) {
			g = &z.given[i]
		}
		if err := validateRecord(at(i), r, g); err != nil {
			return err
		}
	}
	if _, err := dns.NewZone(z.Records...); err != nil {
		if re, ok := errors.AsType[*dns.RecordError](err); ok {
			return &Error{Field: at(re.Index), Err: re.Err}
		}
		return &Error{Field: field, Err: err}
	}
	return nil
}

// validateRecord checks one record; g, if not nil, says which fields the
// JSON gave.
func validateRecord(f string, r dns.Record, g *recordJSON) error {
	typ := strings.ToUpper(r.Type)
	if g != nil {
		switch {
		case g.Name == nil:
			return planErr(f+".name", "missing")
		case g.Type == nil:
			return planErr(f+".type", "missing")
		case g.TTL == nil:
			return planErr(f+".ttl", "missing")
		case g.Value == nil && g.Strings == nil:
			return planErr(f+".value", "missing")
		case g.Value != nil && g.Strings != nil:
			return planErr(f+".strings", "give either value or strings, not both")
		case g.Pref == nil && typ == "MX":
			return planErr(f+".pref", "missing (an MX record needs a preference)")
		case g.Pref != nil && typ != "MX":
			return planErr(f+".pref", "only for MX records")
		}
	}
	if err := dns.CheckName(r.Name); err != nil {
		return &Error{Field: f + ".name", Err: err}
	}
	if !dns.KnownType(typ) {
		return planErr(f+".type", "unknown record type %q (want %s)", r.Type, recordTypeList)
	}
	switch {
	case r.TTL > 1<<31-1:
		return planErr(f+".ttl", "%d exceeds 2147483647 (RFC 2181)", r.TTL)
	case r.Pref != 0 && typ != "MX":
		return planErr(f+".pref", "only for MX records")
	case r.Strings != nil && typ != "TXT":
		return planErr(f+".strings", "only for TXT records")
	}
	if err := dns.CheckRecord(r); err != nil {
		// Name, type, ttl, pref and where strings may go are checked
		// above, so what is left is the record data.
		if r.Strings != nil {
			return &Error{Field: f + ".strings", Err: err}
		}
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "value: "), "value ")
		return &Error{Field: f + ".value", Err: errors.New(msg)}
	}
	return nil
}
