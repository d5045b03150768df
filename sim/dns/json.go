package dns

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// zoneJSON is the plan form of a zone: {"records": [...]}.
type zoneJSON struct {
	Records []recordJSON `json:"records"`
}

// recordJSON uses pointers so that a field given where it does not belong
// ("pref" on an A record) or missing where it is required ("ttl") is
// caught, not silently read as zero.
type recordJSON struct {
	Name    *string   `json:"name"`
	Type    *string   `json:"type"`
	TTL     *uint32   `json:"ttl"`
	Pref    *uint16   `json:"pref"`
	Value   *string   `json:"value"`
	Strings *[]string `json:"strings"`
}

// ParseZoneRecords decodes the JSON form of a zone,
//
//	{"records": [{"name": "example.com.", "type": "MX", "ttl": 300, "pref": 10, "value": "mx.example.com."}]}
//
// strictly: unknown fields, missing name, type or ttl, a pref outside MX,
// a missing value and trailing data are errors naming the record.
func ParseZoneRecords(data []byte) ([]Record, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var z zoneJSON
	if err := dec.Decode(&z); err != nil {
		return nil, fmt.Errorf("sim: zone JSON: %w", err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return nil, errors.New("sim: zone JSON: trailing data after the zone object")
	}
	if z.Records == nil {
		return nil, errors.New(`sim: zone JSON: missing "records"`)
	}
	out := make([]Record, len(z.Records))
	for i, j := range z.Records {
		r := Record{}
		if j.Name != nil {
			r.Name = *j.Name
		}
		if j.Type != nil {
			r.Type = *j.Type
		}
		fail := func(msg string) error { return &RecordError{Index: i, Record: r, Err: errors.New(msg)} }
		switch {
		case j.Name == nil:
			return nil, fail(`missing "name"`)
		case j.Type == nil:
			return nil, fail(`missing "type"`)
		case j.TTL == nil:
			return nil, fail(`missing "ttl"`)
		case j.Pref != nil && r.Type != "MX":
			return nil, fail(`"pref" is only for MX records`)
		case j.Pref == nil && r.Type == "MX":
			return nil, fail(`missing "pref"`)
		case j.Value == nil && j.Strings == nil:
			return nil, fail(`missing "value"`)
		}
		r.TTL = *j.TTL
		if j.Pref != nil {
			r.Pref = *j.Pref
		}
		if j.Value != nil {
			r.Value = *j.Value
		}
		if j.Strings != nil {
			r.Strings = *j.Strings
			if r.Strings == nil {
				r.Strings = []string{} // "strings": null is still given
			}
			if j.Value != nil {
				return nil, fail(`give either "value" or "strings", not both`)
			}
		}
		if _, err := compileRecord(r); err != nil {
			return nil, &RecordError{Index: i, Record: r, Err: err}
		}
		out[i] = r
	}
	return out, nil
}

// LoadZone parses the JSON form of a zone (see ParseZoneRecords) into a
// Zone at version 0.
func LoadZone(data []byte) (*Zone, error) {
	records, err := ParseZoneRecords(data)
	if err != nil {
		return nil, err
	}
	return NewZone(records...)
}
