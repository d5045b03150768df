package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin"
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

// ParseConfig reads a party table: {"vocabulary": [...], "parties":
// {...}}, the format of tamarin/theories/NAME.parties.json.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("check: party table: %w", err)
	}
	for name, p := range c.Parties {
		for _, g := range p.Nodes {
			if _, err := path.Match(g, ""); err != nil {
				return Config{}, fmt.Errorf("check: party table: party %s: bad node pattern %q", name, g)
			}
		}
	}
	return c, nil
}

// ConfigBeside reads the party table beside the theory file spthyPath
// (NAME.spthy's NAME.parties.json); ok is false if there is none.
func ConfigBeside(spthyPath string) (c Config, ok bool, err error) {
	if !strings.HasSuffix(spthyPath, ".spthy") {
		return Config{}, false, nil
	}
	table := strings.TrimSuffix(spthyPath, ".spthy") + ".parties.json"
	b, err := os.ReadFile(table)
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, false, nil
	}
	if err != nil {
		return Config{}, false, err
	}
	if c, err = ParseConfig(b); err != nil {
		return Config{}, false, fmt.Errorf("%s: %w", table, err)
	}
	return c, true, nil
}

// ConfigFor returns th's party table: the one beside its file
// (NAME.parties.json next to NAME.spthy, see spthy.Theory.File), else the
// embedded one of the theory of that name (tamarin/theories), else the
// only party every theory has: the network, a passive tap on the wire
// that also holds what the run sent to the network. Which nodes are which
// party is the theory's to say; the checker guesses no names. The error
// is a table that cannot be read.
func ConfigFor(th *spthy.Theory) (Config, error) {
	if th.File != "" {
		if c, ok, err := ConfigBeside(th.File); err != nil || ok {
			return c, err
		}
	}
	if b, ok := tamarin.PartiesOf(th.Name); ok {
		c, err := ParseConfig(b)
		if err != nil {
			return Config{}, fmt.Errorf("embedded theory %s: %w", th.Name, err)
		}
		return c, nil
	}
	return Config{Parties: map[string]PartySpec{"network": {Wire: true, Network: true}}}, nil
}

// compromisePrefixes mark action facts as compromise facts whether or not
// a party's table entry lists them.
var compromisePrefixes = []string{"Reveal", "Compromise", "Corrupt", "Leak"}

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
