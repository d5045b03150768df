package status

import (
	"encoding/base32"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dunglas/httpsfv"
)

// The Structured Field parser this package (and cachecontrol's targeted
// fields) rely on, checked against the HTTP working group's test data: each
// case parses (or fails) as the data says, and what parses serializes to
// the canonical form.
const sfTestDir = "../../../shared/structured-field-tests"

type sfCase struct {
	Name       string          `json:"name"`
	Raw        []string        `json:"raw"`
	HeaderType string          `json:"header_type"`
	Expected   json.RawMessage `json:"expected"`
	MustFail   bool            `json:"must_fail"`
	CanFail    bool            `json:"can_fail"`
	Canonical  []string        `json:"canonical"`
}

func TestStructuredFieldSuite(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sfTestDir, "*.json"))
	if len(files) == 0 {
		t.Skip("the httpwg structured-field tests are not present beside the repository (shared/structured-field-tests)")
	}
	total, passed := 0, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []sfCase
		if err := json.Unmarshal(b, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cases {
			total++
			if msg := checkSFCase(c); msg != "" {
				t.Errorf("%s: %s: %s", filepath.Base(f), c.Name, msg)
				continue
			}
			passed++
		}
	}
	t.Logf("%d of %d structured-field cases pass", passed, total)
}

func checkSFCase(c sfCase) string {
	var v httpsfv.StructuredFieldValue
	var err error
	switch c.HeaderType {
	case "item":
		var it httpsfv.Item
		it, err = httpsfv.UnmarshalItem(c.Raw)
		v = it
	case "list":
		var l httpsfv.List
		l, err = httpsfv.UnmarshalList(c.Raw)
		v = l
	case "dictionary":
		var d *httpsfv.Dictionary
		d, err = httpsfv.UnmarshalDictionary(c.Raw)
		v = d
	default:
		return "unknown header type " + c.HeaderType
	}
	if c.MustFail {
		if err == nil {
			return "parsed, want a failure"
		}
		return ""
	}
	if err != nil {
		if c.CanFail {
			return ""
		}
		return "failed: " + err.Error()
	}
	var want any
	if err := json.Unmarshal(c.Expected, &want); err != nil {
		return "bad expected value: " + err.Error()
	}
	if got := sfJSON(v); !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		return "parsed to " + string(g) + ", want " + string(c.Expected)
	}
	canonical := strings.Join(c.Raw, ", ")
	if c.Canonical != nil {
		canonical = strings.Join(c.Canonical, ", ")
	}
	s, err := httpsfv.Marshal(v)
	if err != nil {
		return "serializing: " + err.Error()
	}
	if s != canonical {
		return "serialized to " + s + ", want " + canonical
	}
	return ""
}

// sfJSON renders a parsed value in the test data's JSON shape.
func sfJSON(v any) any {
	switch v := v.(type) {
	case httpsfv.Item:
		return []any{bareJSON(v.Value), paramsJSON(v.Params)}
	case httpsfv.InnerList:
		items := []any{}
		for _, it := range v.Items {
			items = append(items, sfJSON(it))
		}
		return []any{items, paramsJSON(v.Params)}
	case httpsfv.List:
		out := []any{}
		for _, m := range v {
			out = append(out, sfJSON(m))
		}
		return out
	case *httpsfv.Dictionary:
		out := []any{}
		for _, n := range v.Names() {
			m, _ := v.Get(n)
			out = append(out, []any{n, sfJSON(m)})
		}
		return out
	}
	return nil
}

func paramsJSON(p *httpsfv.Params) any {
	out := []any{}
	if p == nil {
		return out
	}
	for _, n := range p.Names() {
		pv, _ := p.Get(n)
		out = append(out, []any{n, bareJSON(pv)})
	}
	return out
}

func bareJSON(v any) any {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case float64, string, bool:
		return v
	case httpsfv.Token:
		return map[string]any{"__type": "token", "value": string(v)}
	case []byte:
		return map[string]any{"__type": "binary", "value": base32.StdEncoding.EncodeToString(v)}
	case httpsfv.DisplayString:
		return map[string]any{"__type": "displaystring", "value": string(v)}
	}
	if d, ok := v.(interface{ Unix() int64 }); ok {
		return map[string]any{"__type": "date", "value": float64(d.Unix())}
	}
	return v
}
