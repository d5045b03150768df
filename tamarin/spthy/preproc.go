package spthy

import (
	"strings"
	"unicode/utf8"
)

// preprocess applies Tamarin's preprocessor: #ifdef EXPR, #else, #endif and
// #define FLAG, where EXPR combines flags with not, &, | and parentheses.
// defined holds the flags set on the command line (tamarin-prover -D).
//
// Directive lines and lines in inactive branches become empty lines, so
// every line that remains keeps its number and columns and errors point
// into the file as written.
func preprocess(file string, src []byte, defined map[string]bool) []byte {
	flags := map[string]bool{}
	for f, on := range defined {
		flags[f] = on
	}
	type frame struct {
		pos      Pos
		parentOn bool // were we active when the #ifdef was met
		cond     bool
		sawElse  bool
	}
	var stack []frame
	active := true
	out := make([]byte, 0, len(src))
	lines := strings.Split(string(src), "\n")
	for i, line := range lines {
		lineNo := i + 1
		word, rest, col, ok := directive(line)
		if !ok {
			if active {
				out = append(out, line...)
			}
			if i < len(lines)-1 {
				out = append(out, '\n')
			}
			continue
		}
		pos := Pos{Line: lineNo, Col: col}
		rest = stripLineComment(rest)
		switch word {
		case "ifdef":
			cond := evalFlags(file, pos, rest, flags)
			stack = append(stack, frame{pos: pos, parentOn: active, cond: cond})
			active = active && cond
		case "else":
			if len(stack) == 0 {
				fail(file, pos, "#else without #ifdef")
			}
			top := &stack[len(stack)-1]
			if top.sawElse {
				fail(file, pos, "second #else for the #ifdef at %s", top.pos)
			}
			if strings.TrimSpace(rest) != "" {
				fail(file, pos, "unexpected text after #else")
			}
			top.sawElse = true
			active = top.parentOn && !top.cond
		case "endif":
			if len(stack) == 0 {
				fail(file, pos, "#endif without #ifdef")
			}
			if strings.TrimSpace(rest) != "" {
				fail(file, pos, "unexpected text after #endif")
			}
			active = stack[len(stack)-1].parentOn
			stack = stack[:len(stack)-1]
		case "define":
			name := strings.TrimSpace(rest)
			if !isFlag(name) {
				fail(file, pos, "#define needs one flag name, got %q", name)
			}
			if active {
				flags[name] = true
			}
		case "include":
			fail(file, pos, "#include is not supported")
		}
		if i < len(lines)-1 {
			out = append(out, '\n')
		}
	}
	if len(stack) > 0 {
		fail(file, stack[len(stack)-1].pos, "#ifdef without #endif")
	}
	return out
}

// directive recognises a preprocessor line: '#' word at the start of the
// line (after blanks), word one of the directives and followed by a blank
// or the end of the line. col is the column of the '#'.
func directive(line string) (word, rest string, col int, ok bool) {
	trimmed := strings.TrimLeft(line, " \t")
	if !strings.HasPrefix(trimmed, "#") {
		return "", "", 0, false
	}
	col = utf8.RuneCountInString(line[:len(line)-len(trimmed)]) + 1
	body := trimmed[1:]
	for _, w := range []string{"ifdef", "else", "endif", "define", "include"} {
		if !strings.HasPrefix(body, w) {
			continue
		}
		after := body[len(w):]
		if after == "" || after[0] == ' ' || after[0] == '\t' || after[0] == '\r' || strings.HasPrefix(after, "//") {
			return w, after, col, true
		}
	}
	return "", "", 0, false
}

func stripLineComment(s string) string {
	if i := strings.Index(s, "//"); i >= 0 {
		return s[:i]
	}
	return s
}

func isFlag(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !isIdentRune(r) {
			return false
		}
	}
	return true
}

// evalFlags evaluates an #ifdef condition:
//
//	expr := and ('|' and)*
//	and  := unit ('&' unit)*
//	unit := 'not' unit | '(' expr ')' | FLAG
func evalFlags(file string, pos Pos, s string, flags map[string]bool) bool {
	e := flagExpr{file: file, pos: pos, toks: flagTokens(s), flags: flags}
	if len(e.toks) == 0 {
		fail(file, pos, "#ifdef needs a flag")
	}
	v := e.or()
	if e.i < len(e.toks) {
		fail(file, pos, "unexpected %q in #ifdef condition", e.toks[e.i])
	}
	return v
}

func flagTokens(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '&' || c == '|' || c == '(' || c == ')':
			toks = append(toks, s[i:i+1])
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r&|()", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

type flagExpr struct {
	file  string
	pos   Pos
	toks  []string
	i     int
	flags map[string]bool
	depth int
}

func (e *flagExpr) peek() string {
	if e.i < len(e.toks) {
		return e.toks[e.i]
	}
	return ""
}

func (e *flagExpr) or() bool {
	v := e.and()
	for e.peek() == "|" {
		e.i++
		w := e.and()
		v = v || w
	}
	return v
}

func (e *flagExpr) and() bool {
	v := e.unit()
	for e.peek() == "&" {
		e.i++
		w := e.unit()
		v = v && w
	}
	return v
}

func (e *flagExpr) unit() bool {
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > maxDepth {
		fail(e.file, e.pos, "#ifdef condition nested deeper than %d levels", maxDepth)
	}
	switch t := e.peek(); {
	case t == "":
		fail(e.file, e.pos, "#ifdef condition ends early")
	case t == "not":
		e.i++
		return !e.unit()
	case t == "(":
		e.i++
		v := e.or()
		if e.peek() != ")" {
			fail(e.file, e.pos, "missing ')' in #ifdef condition")
		}
		e.i++
		return v
	case isFlag(t):
		e.i++
		return e.flags[t]
	default:
		fail(e.file, e.pos, "unexpected %q in #ifdef condition", t)
	}
	return false
}
