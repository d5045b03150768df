package main

// A reader for the YAML the deploy manifests use (block mappings and
// sequences, flow sequences of scalars, quoted scalars, "|" block
// scalars, comments, "---" documents), so tests can check the manifests'
// structure without a YAML dependency. It fails on anything else rather
// than guess.

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

type yamlLine struct {
	n      int // 1-based line number
	indent int
	text   string // without indentation
}

// parseYAML returns the documents of src.
func parseYAML(src string) ([]any, error) {
	var docs []any
	for _, doc := range strings.Split("\n"+src, "\n---") {
		var lines []yamlLine
		for i, raw := range strings.Split(doc, "\n") {
			text := strings.TrimLeft(raw, " ")
			lines = append(lines, yamlLine{n: i, indent: len(raw) - len(text), text: strings.TrimRight(text, " ")})
		}
		p := &yamlParser{lines: lines}
		p.skip()
		if p.i == len(p.lines) {
			continue
		}
		v, err := p.block(p.lines[p.i].indent)
		if err != nil {
			return nil, err
		}
		if p.skip(); p.i < len(p.lines) {
			return nil, fmt.Errorf("yaml line %d: unexpected %q", p.lines[p.i].n, p.lines[p.i].text)
		}
		docs = append(docs, v)
	}
	return docs, nil
}

type yamlParser struct {
	lines []yamlLine
	i     int
}

// skip passes blank and comment lines.
func (p *yamlParser) skip() {
	for p.i < len(p.lines) && (p.lines[p.i].text == "" || strings.HasPrefix(p.lines[p.i].text, "#")) {
		p.i++
	}
}

// block parses the mapping or sequence whose lines are at indent.
func (p *yamlParser) block(indent int) (any, error) {
	p.skip()
	l := p.lines[p.i]
	if l.text == "-" || strings.HasPrefix(l.text, "- ") {
		var seq []any
		for p.skip(); p.i < len(p.lines) && p.lines[p.i].indent == indent && (p.lines[p.i].text == "-" || strings.HasPrefix(p.lines[p.i].text, "- ")); p.skip() {
			rest := strings.TrimLeft(strings.TrimPrefix(p.lines[p.i].text, "-"), " ")
			if rest == "" {
				p.i++
				p.skip()
				v, err := p.block(p.lines[p.i].indent)
				if err != nil {
					return nil, err
				}
				seq = append(seq, v)
				continue
			}
			if rest == "|" || rest == "|-" {
				p.i++
				seq = append(seq, p.blockScalar(indent, rest))
				continue
			}
			// "- key: v" opens a mapping at the column of key.
			p.lines[p.i] = yamlLine{n: p.lines[p.i].n, indent: indent + len(p.lines[p.i].text) - len(rest), text: rest}
			if _, _, isMap := splitKey(rest); isMap {
				v, err := p.block(p.lines[p.i].indent)
				if err != nil {
					return nil, err
				}
				seq = append(seq, v)
				continue
			}
			v, err := scalar(rest)
			if err != nil {
				return nil, fmt.Errorf("yaml line %d: %w", p.lines[p.i].n, err)
			}
			seq = append(seq, v)
			p.i++
		}
		return seq, nil
	}
	m := map[string]any{}
	for p.skip(); p.i < len(p.lines) && p.lines[p.i].indent == indent; p.skip() {
		l := p.lines[p.i]
		key, val, ok := splitKey(l.text)
		if !ok {
			return nil, fmt.Errorf("yaml line %d: want key: value, have %q", l.n, l.text)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("yaml line %d: key %q twice", l.n, key)
		}
		p.i++
		switch {
		case val == "|" || val == "|-":
			m[key] = p.blockScalar(indent, val)
		case val != "":
			v, err := scalar(val)
			if err != nil {
				return nil, fmt.Errorf("yaml line %d: %w", l.n, err)
			}
			m[key] = v
		default:
			p.skip()
			if p.i < len(p.lines) && (p.lines[p.i].indent > indent || p.lines[p.i].indent == indent && strings.HasPrefix(p.lines[p.i].text, "- ")) {
				v, err := p.block(p.lines[p.i].indent)
				if err != nil {
					return nil, err
				}
				m[key] = v
			} else {
				m[key] = nil
			}
		}
	}
	if p.i < len(p.lines) && p.lines[p.i].indent > indent {
		return nil, fmt.Errorf("yaml line %d: unexpected indentation", p.lines[p.i].n)
	}
	return m, nil
}

// blockScalar reads the lines indented deeper than indent after a "|"
// (or "|-", which drops the final newline).
func (p *yamlParser) blockScalar(indent int, style string) string {
	var body []string
	start := -1
	for ; p.i < len(p.lines) && (p.lines[p.i].text == "" || p.lines[p.i].indent > indent); p.i++ {
		if start < 0 && p.lines[p.i].text != "" {
			start = p.lines[p.i].indent
		}
		pad := strings.Repeat(" ", max(0, p.lines[p.i].indent-max(start, 0)))
		body = append(body, pad+p.lines[p.i].text)
	}
	s := strings.TrimRight(strings.Join(body, "\n"), "\n")
	if style == "|" {
		s += "\n"
	}
	return s
}

// splitKey splits "key: value" (value may be empty).
func splitKey(s string) (key, val string, ok bool) {
	if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "[") {
		return "", "", false
	}
	if k, ok := strings.CutSuffix(s, ":"); ok && !strings.Contains(k, ": ") {
		return k, "", true
	}
	k, v, ok := strings.Cut(s, ": ")
	if !ok {
		return "", "", false
	}
	return k, stripComment(strings.TrimSpace(v)), true
}

func stripComment(v string) string {
	if strings.HasPrefix(v, `"`) {
		return v
	}
	if i := strings.Index(v, " #"); i >= 0 {
		return strings.TrimSpace(v[:i])
	}
	return v
}

// scalar reads a scalar or a flow sequence of scalars (strings stay
// strings: the tests compare text).
func scalar(s string) (any, error) {
	switch {
	case strings.HasPrefix(s, `"`):
		return strconv.Unquote(s)
	case strings.HasPrefix(s, "["):
		if !strings.HasSuffix(s, "]") {
			return nil, fmt.Errorf("unterminated flow sequence %q", s)
		}
		var out []any
		for _, part := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			v, err := scalar(part)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case strings.HasPrefix(s, "{"), strings.HasPrefix(s, "&"), strings.HasPrefix(s, "*"), strings.HasPrefix(s, ">"):
		return nil, fmt.Errorf("unsupported YAML %q", s)
	}
	return s, nil
}

// yamlPath walks m along keys and sequence indexes ("spec", "template", 0).
func yamlPath(v any, path ...any) any {
	for _, k := range path {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func TestYAMLReader(t *testing.T) {
	docs, err := parseYAML("# c\na: 1\nb:\n  - x\n  - k: \"v w\"\n    l: [p, \"q\"]\n  - |\n    line one\n      two\nc: d # note\n---\ne: f\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || yamlPath(docs[0], "a") != "1" || yamlPath(docs[0], "b", 0) != "x" ||
		yamlPath(docs[0], "b", 1, "k") != "v w" || yamlPath(docs[0], "b", 1, "l", 1) != "q" ||
		yamlPath(docs[0], "b", 2) != "line one\n  two\n" || yamlPath(docs[0], "c") != "d" || yamlPath(docs[1], "e") != "f" {
		t.Fatalf("docs %#v", docs)
	}
	for _, bad := range []string{"a: 1\n  b: 2\n", "a: 1\na: 2\n", "a: {b: 1}\n", "just text\n"} {
		if _, err := parseYAML(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}
