package check

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// PartySpec says who a party is in a trace and what choosing it as the
// adversary means.
type PartySpec struct {
	// Nodes are glob patterns (path.Match) of the trace's node names that
	// are this party: the party sees the facts recorded on them and the
	// messages they send and receive (model.NodeLens, by pattern).
	Nodes []string `json:"nodes,omitempty"`
	// Wire makes the party a passive tap on every message put on the
	// wire (model.WireTap).
	Wire bool `json:"wire,omitempty"`
	// Network gives the party what the replayed run sent to the network
	// (the theory's Out facts): Tamarin's adversary always controls the
	// network, so the table below sets it for every party.
	Network bool `json:"network,omitempty"`
	// Compromise lists action facts of the theory's compromise rules that
	// hold when this party is the adversary: every instance of a rule
	// with one of these actions that the run's facts enable is fired, its
	// actions take place before the first event and its Out facts join
	// the adversary's knowledge.
	Compromise []string `json:"compromise,omitempty"`
}

// Config is the per-theory data the checker needs besides the theory.
type Config struct {
	// Vocabulary lists the action facts the services record. A rule none
	// of whose actions is in it (nor in the trace) may be fired silently.
	Vocabulary []string `json:"vocabulary,omitempty"`
	// Parties maps a party name to its spec.
	Parties map[string]PartySpec `json:"parties"`
}

//go:embed parties.json
var partiesJSON []byte

// Configs is the built-in table: theory name (as in "theory NAME begin")
// to its Config. It is parties.json beside this file.
var Configs = mustConfigs(partiesJSON)

func mustConfigs(b []byte) map[string]Config {
	m, err := ParseConfigs(b)
	if err != nil {
		panic(err)
	}
	return m
}

// ParseConfigs reads a table in the format of parties.json: an object
// mapping theory names to {"vocabulary": [...], "parties": {...}}.
func ParseConfigs(b []byte) (map[string]Config, error) {
	var m map[string]Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("check: party table: %w", err)
	}
	for th, c := range m {
		for name, p := range c.Parties {
			for _, g := range p.Nodes {
				if _, err := path.Match(g, ""); err != nil {
					return nil, fmt.Errorf("check: party table: %s: party %s: bad node pattern %q", th, name, g)
				}
			}
		}
	}
	return m, nil
}

// compromisePrefixes mark action facts as compromise facts whether or not
// a party's table entry lists them.
var compromisePrefixes = []string{"Reveal", "Compromise", "Corrupt", "Leak"}

// ConfigFor returns the built-in Config of th, or, for a theory without
// one, the only party every theory has: the network, a passive tap on the
// wire that also holds what the run sent to the network. Which nodes are
// which party is the theory's to say, in its table; the checker guesses
// no names.
func ConfigFor(th *spthy.Theory) Config {
	if c, ok := Configs[th.Name]; ok {
		return c
	}
	return Config{Parties: map[string]PartySpec{"network": {Wire: true, Network: true}}}
}

func isCompromiseName(name string) bool {
	for _, p := range compromisePrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func actionNames(th *spthy.Theory) []string {
	set := map[string]bool{}
	for _, r := range th.Rules {
		for _, a := range r.Actions {
			set[a.Name] = true
		}
	}
	return sortedKeys(set)
}

// PartyNames returns the parties of c, sorted.
func (c Config) PartyNames() []string {
	names := make([]string, 0, len(c.Parties))
	for n := range c.Parties {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// globLens is model.NodeLens for every node matching one of a set of
// patterns.
type globLens struct {
	party string
	nodes []string
}

func (g globLens) Party() string { return g.party }

func (g globLens) match(node string) bool {
	for _, p := range g.nodes {
		if ok, _ := path.Match(p, node); ok {
			return true
		}
	}
	return false
}

func (g globLens) See(e *model.Event) ([]model.Term, bool) {
	switch e.Kind {
	case model.Fact, model.Note:
		// A Note with terms is what a party recorded having observed
		// (the OHTTP world's Observe records: headers and bodies it
		// received) without being an action fact of the theory; it is
		// part of that party's knowledge all the same.
		return e.Args, g.match(e.Node) && len(e.Args) > 0
	case model.Send, model.Deliver:
		from, to := model.Endpoints(e)
		if (e.Kind == model.Send && g.match(from)) || (e.Kind == model.Deliver && g.match(to)) {
			return model.MessageTerms(e), true
		}
	}
	return nil, false
}
