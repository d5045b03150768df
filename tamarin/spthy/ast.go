package spthy

import "fmt"

// Pos is a position in the source: line and column, both from 1. Columns
// count characters, not bytes.
type Pos struct {
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Theory is a parsed .spthy file. Items keep their order within each kind;
// the printer writes the kinds in the order of the fields.
type Theory struct {
	Name string
	// File is the source's name as given to Parse (Options.File), ""
	// for none; tools find what sits beside a theory file through it
	// (its party table).
	File         string
	Builtins     []string
	Functions    []Function
	Equations    []Equation
	Rules        []Rule
	Restrictions []Restriction
	Lemmas       []Lemma
}

// Function is a declaration f/n from a functions: block.
type Function struct {
	Name       string
	Arity      int
	Private    bool
	Destructor bool
	Pos        Pos
}

// Equation is lhs = rhs from an equations: block.
type Equation struct {
	LHS, RHS Term
	Pos      Pos
}

// Rule is a multiset rewriting rule:
//
//	rule Name[attrs]: let x = t in [ Premises ] --[ Actions ]-> [ Conclusions ]
type Rule struct {
	Name        string
	Attrs       []Attr
	Lets        []Let
	Premises    []Fact
	Actions     []Fact
	Conclusions []Fact
	Doc         string // the comment just above the rule, markers removed
	Pos         Pos
}

// Let is one binding of a rule's let block. Var is a variable.
type Let struct {
	Var   Term
	Value Term
}

// Attr is an attribute in square brackets: key, or key=value. Value is
// the source text after '=', unparsed (a colour, a heuristic, a lemma name).
type Attr struct {
	Key   string
	Value string
}

// Fact is F(t1, ..., tn), or !F(...) when Persistent. Annotations are the
// optional [+], [-] and [no_precomp] after it.
type Fact struct {
	Name        string
	Persistent  bool
	Args        []Term
	Annotations []string
	Pos         Pos
}

// Restriction is restriction Name: "formula".
type Restriction struct {
	Name    string
	Formula Formula
	Doc     string
	Pos     Pos
}

// TraceQuantifier says whether a lemma is about all traces or claims that
// some trace exists.
type TraceQuantifier uint8

const (
	AllTraces TraceQuantifier = iota + 1
	ExistsTrace
)

func (q TraceQuantifier) String() string {
	switch q {
	case AllTraces:
		return "all-traces"
	case ExistsTrace:
		return "exists-trace"
	}
	return fmt.Sprintf("TraceQuantifier(%d)", uint8(q))
}

// Lemma is lemma name[attrs]: all-traces|exists-trace "formula". A lemma
// written without a trace quantifier is all-traces, as in Tamarin.
type Lemma struct {
	Name    string
	Attrs   []Attr
	Traces  TraceQuantifier
	Formula Formula
	Doc     string // the comment just above the lemma: what it claims and why
	Pos     Pos
}

// TermKind is the shape of a Term.
type TermKind uint8

const (
	// Var is a variable; its Sort says which kind (x, ~x, $x, #i).
	Var TermKind = iota + 1
	// Const is a public constant 'c', or with Sort SortFresh the fresh
	// constant ~'c'.
	Const
	// App is a function application f(t1, ..., tn). A tuple <a, b, c> is
	// App "pair" nested to the right; the infix operators a^b, a*b and
	// a+b are App "exp", "mult" and "union". A nullary function (true,
	// or c from functions: c/0) is an App without arguments.
	App
)

// Sort is the sort of a variable.
type Sort uint8

const (
	SortMsg      Sort = iota // x, or x:msg
	SortFresh                // ~x, or x:fresh
	SortPub                  // $x, or x:pub
	SortTemporal             // #i, or i:node / i:temporal, or i used as a time point
)

// Term is a message term of a rule, equation or formula.
type Term struct {
	Kind TermKind
	Name string
	Sort Sort // for Var, and SortFresh for a fresh constant
	Args []Term
}

// Names of the applications that tuples and infix operators stand for.
const (
	PairName  = "pair"
	ExpName   = "exp"
	MultName  = "mult"
	UnionName = "union"
	// OneName is the nullary application written 1: the neutral element
	// of the Diffie-Hellman exponent group.
	OneName = "1"
)

// Variable returns the variable name of sort s.
func Variable(name string, s Sort) Term { return Term{Kind: Var, Name: name, Sort: s} }

// Constant returns the constant 'name'.
func Constant(name string) Term { return Term{Kind: Const, Name: name} }

// Apply returns name(args...).
func Apply(name string, args ...Term) Term { return Term{Kind: App, Name: name, Args: args} }

// Tuple returns <ts...>, nested to the right as Tamarin reads it.
func Tuple(ts ...Term) Term {
	if len(ts) == 1 {
		return ts[0]
	}
	return Apply(PairName, ts[0], Tuple(ts[1:]...))
}

// Formula is a trace formula of a lemma or restriction: one of Bool, Not,
// Binary, Quantified, Action, Less, Equal, Subterm, Last.
type Formula interface{ isFormula() }

// Bool is T (true) or F (false).
type Bool struct{ Value bool }

// Not is not F.
type Not struct{ F Formula }

// Connective is a binary logical connective.
type Connective uint8

const (
	And     Connective = iota + 1 // &
	Or                            // |
	Implies                       // ==>
	Iff                           // <=>
)

func (c Connective) String() string {
	switch c {
	case And:
		return "&"
	case Or:
		return "|"
	case Implies:
		return "==>"
	case Iff:
		return "<=>"
	}
	return fmt.Sprintf("Connective(%d)", uint8(c))
}

// Binary is L op R.
type Binary struct {
	Op   Connective
	L, R Formula
}

// Quantified is All vars. Body, or Ex vars. Body when Exists.
type Quantified struct {
	Exists bool
	Vars   []Term
	Body   Formula
}

// Action is Fact @ At: the action fact happened at time point At.
type Action struct {
	Fact Fact
	At   Term
}

// Less is L < R between time points.
type Less struct{ L, R Term }

// Equal is L = R, between terms or between time points.
type Equal struct{ L, R Term }

// Subterm is L << R: L is a subterm of R.
type Subterm struct{ L, R Term }

// Last is last(At): At is the last time point of the trace.
type Last struct{ At Term }

func (Bool) isFormula()       {}
func (Not) isFormula()        {}
func (Binary) isFormula()     {}
func (Quantified) isFormula() {}
func (Action) isFormula()     {}
func (Less) isFormula()       {}
func (Equal) isFormula()      {}
func (Subterm) isFormula()    {}
func (Last) isFormula()       {}
