package spthy

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF        tokKind = iota
	tIdent              // name, Fact, x.1
	tNumber             // 2 (arities)
	tFresh              // ~x
	tPub                // $x
	tTemporal           // #i
	tConst              // 'text'
	tFreshConst         // ~'text'
	tQuote              // " around formulas
	tPunct              // operators and brackets; text is the operator
)

type token struct {
	kind tokKind
	text string // name without sigil, constant without quotes, or operator
	pos  Pos
	off  int // byte offsets of the token in the (preprocessed) source
	end  int
	doc  []string // comment lines on the lines before the token
}

// punctuation, longest first so that "-->" wins over "->" and "-".
var punctuation = []string{
	"-->", "--[", "==>", "<=>",
	"->", "<<",
	"(", ")", "[", "]", "<", ">", ",", ".", ":", "=", "@", "/", "^", "*", "+", "|", "&", "!", "-",
}

// unicodeTokens are the logical symbols Tamarin also accepts, with the
// ASCII token each stands for.
var unicodeTokens = map[rune]token{
	'∀': {kind: tIdent, text: "All"},
	'∃': {kind: tIdent, text: "Ex"},
	'¬': {kind: tIdent, text: "not"},
	'⊤': {kind: tIdent, text: "T"},
	'⊥': {kind: tIdent, text: "F"},
	'∧': {kind: tPunct, text: "&"},
	'∨': {kind: tPunct, text: "|"},
	'⇒': {kind: tPunct, text: "==>"},
	'⇔': {kind: tPunct, text: "<=>"},
}

type lexer struct {
	file      string
	src       []byte
	off       int
	line, col int
	lastLine  int // line on which the previous token ended; 0 at the start
}

func newLexer(file string, src []byte) *lexer {
	return &lexer{file: file, src: src, line: 1, col: 1}
}

func (l *lexer) pos() Pos { return Pos{Line: l.line, Col: l.col} }

func (l *lexer) peekRune() (rune, int) {
	if l.off >= len(l.src) {
		return utf8.RuneError, 0
	}
	return utf8.DecodeRune(l.src[l.off:])
}

func (l *lexer) step() rune {
	r, n := l.peekRune()
	if n == 0 {
		return utf8.RuneError
	}
	l.off += n
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	return r
}

func isIdentRune(r rune) bool {
	return r == '_' || r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// next returns the next token, with the comments that precede it on lines
// of their own in doc. A comment on the same line as the previous token
// trails that token and belongs to nobody.
func (l *lexer) next() token {
	var doc []string
	for {
		r, _ := l.peekRune()
		switch {
		case l.off >= len(l.src):
			l.lastLine = l.line
			return token{kind: tEOF, pos: l.pos(), off: l.off, end: l.off, doc: docLines(doc)}
		case r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == '\f' || r == '\v':
			l.step()
			continue
		case bytes.HasPrefix(l.src[l.off:], []byte("//")):
			own := l.line > l.lastLine
			start := l.off + 2
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.step()
			}
			if own {
				doc = append(doc, string(l.src[start:l.off]))
			}
			continue
		case bytes.HasPrefix(l.src[l.off:], []byte("/*")):
			own := l.line > l.lastLine
			at := l.pos()
			l.step()
			l.step()
			start := l.off
			end := bytes.Index(l.src[l.off:], []byte("*/"))
			if end < 0 {
				fail(l.file, at, "comment not terminated: missing */")
			}
			for l.off < start+end {
				l.step()
			}
			text := string(l.src[start:l.off])
			l.step()
			l.step()
			if own {
				for _, line := range strings.Split(text, "\n") {
					line = strings.TrimSpace(line)
					if line == "*" {
						line = ""
					} else if strings.HasPrefix(line, "* ") {
						line = line[2:]
					}
					doc = append(doc, line)
				}
			}
			continue
		}
		t := l.token()
		t.doc = docLines(doc)
		l.lastLine = l.line
		return t
	}
}

// docLines trims each comment line and drops blank lines at either end, so
// that printing a doc as // lines and reading it back gives the same doc.
func docLines(lines []string) []string {
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func (l *lexer) token() token {
	start, at := l.off, l.pos()
	r := l.step()
	tok := token{pos: at, off: start}
	done := func(kind tokKind, text string) token {
		tok.kind, tok.text, tok.end = kind, text, l.off
		return tok
	}
	switch {
	case isIdentRune(r) && !('0' <= r && r <= '9'):
		return done(tIdent, l.name(start))
	case '0' <= r && r <= '9':
		for l.off < len(l.src) && isDigit(l.src[l.off]) {
			l.step()
		}
		return done(tNumber, string(l.src[start:l.off]))
	case r == '~' && l.off < len(l.src) && l.src[l.off] == '\'':
		// A fresh constant ~'n'.
		c := l.token()
		if c.kind != tConst {
			fail(l.file, at, "expected a constant after '~'")
		}
		return done(tFreshConst, c.text)
	case r == '~' || r == '$' || r == '#':
		if nr, _ := l.peekRune(); !isIdentRune(nr) {
			fail(l.file, at, "expected a name after '%c'", r)
		}
		name := l.name(l.off)
		kind := map[rune]tokKind{'~': tFresh, '$': tPub, '#': tTemporal}[r]
		return done(kind, name)
	case r == '\'':
		for {
			c, n := l.peekRune()
			if n == 0 || c == '\n' {
				fail(l.file, at, "constant not terminated: missing '")
			}
			l.step()
			if c == '\'' {
				return done(tConst, string(l.src[start+1:l.off-1]))
			}
		}
	case r == '"':
		return done(tQuote, `"`)
	}
	if u, ok := unicodeTokens[r]; ok {
		return done(u.kind, u.text)
	}
	rest := string(l.src[start:min(start+3, len(l.src))])
	for _, p := range punctuation {
		if strings.HasPrefix(rest, p) {
			for l.off < start+len(p) {
				l.step()
			}
			return done(tPunct, p)
		}
	}
	if r == utf8.RuneError {
		fail(l.file, at, "invalid UTF-8")
	}
	fail(l.file, at, "unexpected character %q", r)
	return token{}
}

// name reads the rest of an identifier that began at start, including an
// index suffix as in x.1.
func (l *lexer) name(start int) string {
	for l.off < len(l.src) && isIdentRune(rune(l.src[l.off])) {
		l.step()
	}
	if l.off+1 < len(l.src) && l.src[l.off] == '.' && isDigit(l.src[l.off+1]) {
		l.step()
		for l.off < len(l.src) && isDigit(l.src[l.off]) {
			l.step()
		}
	}
	return string(l.src[start:l.off])
}

// rawAttrValue reads an attribute value as source text, from offset off
// (at position at) up to the ',' or ']' that ends it, outside brackets and
// quotes. It leaves the lexer at that ',' or ']'. Values are not tokens:
// colours like #00ff00 and nested lists like [spthy,proverif] are fine.
func (l *lexer) rawAttrValue(off int, at Pos) string {
	l.off, l.line, l.col = off, at.Line, at.Col
	depth, quoted := 0, false
	for {
		c, n := l.peekRune()
		if n == 0 || c == '\n' {
			fail(l.file, at, "attribute value not terminated: missing ']'")
		}
		switch {
		case quoted:
			quoted = c != '"'
		case c == '"':
			quoted = true
		case c == '[':
			depth++
		case (c == ']' || c == ',') && depth == 0:
			return strings.TrimSpace(string(l.src[off:l.off]))
		case c == ']':
			depth--
		}
		l.step()
	}
}

// skipToItem skips raw lines from offset off (at position at) up to the
// next line that starts with an item keyword, and leaves the lexer there —
// or at the // comments just above that line, so the item keeps its doc.
// It is how heuristic: and tactic: sections, whose contents are not theory
// syntax, are passed over.
func (l *lexer) skipToItem(off int, at Pos) {
	l.off, l.line, l.col = off, at.Line, at.Col
	resume, resumeLine := -1, 0
	for l.off < len(l.src) {
		// Finish the current line.
		for l.off < len(l.src) && l.src[l.off] != '\n' {
			l.step()
		}
		if l.off >= len(l.src) {
			return
		}
		l.step()
		lineStart := l.off
		rest := l.src[lineStart:]
		trimmed := strings.TrimLeft(string(rest[:min(len(rest), 64)]), " \t\r")
		switch {
		case strings.HasPrefix(trimmed, "//"):
			if resume < 0 {
				resume, resumeLine = lineStart, l.line
			}
			continue
		case trimmed == "" || trimmed[0] == '\n':
			continue
		}
		for _, kw := range itemKeywords {
			if strings.HasPrefix(trimmed, kw) {
				after := trimmed[len(kw):]
				if after == "" || !isIdentRune(rune(after[0])) && after[0] != '-' {
					if resume >= 0 {
						l.off, l.line, l.col = resume, resumeLine, 1
					}
					return
				}
			}
		}
		resume = -1
	}
}

// itemKeywords start the top-level items of a theory.
var itemKeywords = []string{
	"rule", "lemma", "restriction", "axiom", "builtins", "functions", "equations",
	"heuristic", "tactic", "end",
}
