package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// TermKind says what sort of symbolic term a Term is. The sorts follow
// Tamarin's: public names ($A), fresh names (~n), constants ('c') and
// function applications f(t1, ..., tn).
type TermKind uint8

const (
	// Const is a public constant such as 'ohttp-req'.
	Const TermKind = iota + 1
	// Fresh is a fresh (secret, unguessable) name such as ~sk.
	Fresh
	// Pub is a public name such as $Client1.
	Pub
	// Func is a function application; the pair <a, b> is Func "pair".
	Func
)

func (k TermKind) String() string {
	switch k {
	case Const:
		return "const"
	case Fresh:
		return "fresh"
	case Pub:
		return "pub"
	case Func:
		return "fn"
	}
	return fmt.Sprintf("TermKind(%d)", uint8(k))
}

// Term is a symbolic message. Digest optionally ties the symbol to the
// concrete bytes it stood for in a run (hex SHA-256), so a checker can tell
// two different concrete values apart even when they share a symbol name.
type Term struct {
	Kind   TermKind
	Name   string
	Args   []Term
	Digest string
}

// NewConst returns the constant 'name'.
func NewConst(name string) Term { return Term{Kind: Const, Name: name} }

// NewFresh returns the fresh name ~name.
func NewFresh(name string) Term { return Term{Kind: Fresh, Name: name} }

// NewPub returns the public name $name.
func NewPub(name string) Term { return Term{Kind: Pub, Name: name} }

// Apply returns the function application name(args...).
func Apply(name string, args ...Term) Term {
	return Term{Kind: Func, Name: name, Args: args}
}

// Pair returns <a, b>; more than two arguments nest to the right as in
// Tamarin, so Pair(a, b, c) is <a, <b, c>>.
func Pair(ts ...Term) Term {
	switch len(ts) {
	case 0:
		return NewConst("")
	case 1:
		return ts[0]
	}
	return Apply("pair", ts[0], Pair(ts[1:]...))
}

// WithDigest returns t tagged with the SHA-256 of the concrete bytes it
// stands for.
func (t Term) WithDigest(concrete []byte) Term {
	sum := sha256.Sum256(concrete)
	t.Digest = hex.EncodeToString(sum[:])
	return t
}

// Equal reports whether t and u are the same term, digests included.
func (t Term) Equal(u Term) bool {
	if t.Kind != u.Kind || t.Name != u.Name || t.Digest != u.Digest || len(t.Args) != len(u.Args) {
		return false
	}
	for i := range t.Args {
		if !t.Args[i].Equal(u.Args[i]) {
			return false
		}
	}
	return true
}

// String renders t in Tamarin's concrete syntax. Digests are not shown.
func (t Term) String() string {
	var b strings.Builder
	t.write(&b)
	return b.String()
}

func (t Term) write(b *strings.Builder) {
	switch t.Kind {
	case Const:
		b.WriteByte('\'')
		b.WriteString(t.Name)
		b.WriteByte('\'')
	case Fresh:
		b.WriteByte('~')
		b.WriteString(t.Name)
	case Pub:
		b.WriteByte('$')
		b.WriteString(t.Name)
	case Func:
		if t.Name == "pair" && len(t.Args) == 2 {
			b.WriteByte('<')
			t.Args[0].write(b)
			for rest := t.Args[1]; ; {
				b.WriteString(", ")
				if rest.Kind == Func && rest.Name == "pair" && len(rest.Args) == 2 {
					rest.Args[0].write(b)
					rest = rest.Args[1]
					continue
				}
				rest.write(b)
				break
			}
			b.WriteByte('>')
			return
		}
		b.WriteString(t.Name)
		b.WriteByte('(')
		for i, a := range t.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.write(b)
		}
		b.WriteByte(')')
	default:
		fmt.Fprintf(b, "<invalid term kind %d>", t.Kind)
	}
}

// termJSON is the wire shape of a Term: exactly one of Const, Fresh, Pub or
// Fn is set. Field order is fixed, which keeps trace bytes canonical.
type termJSON struct {
	Const  *string `json:"const,omitempty"`
	Fresh  *string `json:"fresh,omitempty"`
	Pub    *string `json:"pub,omitempty"`
	Fn     *string `json:"fn,omitempty"`
	Args   []Term  `json:"args,omitempty"`
	Digest string  `json:"digest,omitempty"`
}

// MarshalJSON encodes t as {"fresh":"n"}, {"fn":"f","args":[...]}, etc.
func (t Term) MarshalJSON() ([]byte, error) {
	j := termJSON{Digest: t.Digest}
	name := t.Name
	switch t.Kind {
	case Const:
		j.Const = &name
	case Fresh:
		j.Fresh = &name
	case Pub:
		j.Pub = &name
	case Func:
		j.Fn = &name
		j.Args = t.Args
		if j.Args == nil {
			j.Args = []Term{}
		}
	default:
		return nil, fmt.Errorf("model: cannot encode term of kind %d", t.Kind)
	}
	return json.Marshal(j)
}

// ErrBadTerm is wrapped by every error decoding a malformed term.
var ErrBadTerm = errors.New("model: malformed term")

// UnmarshalJSON decodes the form written by MarshalJSON and rejects anything
// that is not exactly one well-formed term.
func (t *Term) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return fmt.Errorf("%w: null", ErrBadTerm)
	}
	var j termJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("%w: %v", ErrBadTerm, err)
	}
	set := 0
	for _, p := range []*string{j.Const, j.Fresh, j.Pub, j.Fn} {
		if p != nil {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("%w: want exactly one of const, fresh, pub, fn; got %d", ErrBadTerm, set)
	}
	*t = Term{Digest: j.Digest}
	switch {
	case j.Const != nil:
		t.Kind, t.Name = Const, *j.Const
	case j.Fresh != nil:
		t.Kind, t.Name = Fresh, *j.Fresh
	case j.Pub != nil:
		t.Kind, t.Name = Pub, *j.Pub
	default:
		t.Kind, t.Name, t.Args = Func, *j.Fn, j.Args
		if t.Name == "" {
			return fmt.Errorf("%w: function application without a name", ErrBadTerm)
		}
		if len(t.Args) == 0 {
			t.Args = nil
		}
	}
	if j.Args != nil && t.Kind != Func {
		return fmt.Errorf("%w: %s term %q has arguments", ErrBadTerm, t.Kind, t.Name)
	}
	return nil
}
