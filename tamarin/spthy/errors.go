package spthy

import "fmt"

// SyntaxError is the first problem found in a theory, with where it is:
//
//	spthy:12:7: expected ']' after fact list, got '-->'
//
// File is the name given in Options, or "spthy".
type SyntaxError struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *SyntaxError) Error() string {
	file := e.File
	if file == "" {
		file = "spthy"
	}
	return fmt.Sprintf("%s:%d:%d: %s", file, e.Pos.Line, e.Pos.Col, e.Msg)
}

// bailout carries a *SyntaxError up the parser's call stack; Parse
// recovers it. Any other panic is a bug and is not recovered.
type bailout struct{ err *SyntaxError }

func fail(file string, pos Pos, format string, args ...any) {
	panic(bailout{&SyntaxError{File: file, Pos: pos, Msg: fmt.Sprintf(format, args...)}})
}
