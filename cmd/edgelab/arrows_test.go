package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

// listedPackage is what `go list -json` says of a package that the
// arrows below look at.
type listedPackage struct {
	ImportPath string
	Imports    []string // direct imports of its non-test files
	Deps       []string // everything it depends on, transitively
}

const module = "github.com/edgelab/edgelab"

// listPackages runs `go list -json ./...` from the module
// root: every package with its direct imports and transitive deps, test
// files left out (tests may import what the code may not).
func listPackages(t *testing.T) map[string]listedPackage {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to list the packages with")
	}
	cmd := exec.Command(goCmd, "list", "-json=ImportPath,Imports,Deps", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]listedPackage{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// ours returns the module's packages among paths, relative to the module.
func ours(paths []string) []string {
	var out []string
	for _, p := range paths {
		if p == module {
			out = append(out, "")
		} else if rel, ok := strings.CutPrefix(p, module+"/"); ok {
			out = append(out, rel)
		}
	}
	return out
}

func under(p, root string) bool { return p == root || strings.HasPrefix(p, root+"/") }

// isWorld reports whether p is a simulated world: a `*sim` package beside
// its service (ohttp/ohttpsim, mail/mailsim, cache/cachesim) or the
// simulator's own ping world.
func isWorld(p string) bool {
	base := path.Base(p)
	return p == "sim/pingworld" || base != "sim" && strings.HasSuffix(base, "sim")
}

// rooms are the parts of the simulator split out of the kernel, one idea
// each; the kernel (sim) imports them, and they never import it.
var rooms = []string{"sim/dns", "sim/disk", "sim/link", "sim/plan", "sim/internal/wire", "sim/internal/streams"}

func isRoom(p string) bool { return slices.Contains(rooms, p) }

func isService(p string) bool {
	return (under(p, "ohttp") || under(p, "mail") || under(p, "cache")) && !isWorld(p)
}

// TestArrowsPointOneWay checks the layout's rules with `go list`:
// services import the seam (sim/env) and never the kernel or any other
// part of sim; sim imports no service; the kernel's rooms depend on the
// seam, model and each other only, never on the kernel; tamarin imports
// model and its own packages only; and no package but cmd imports a world.
func TestArrowsPointOneWay(t *testing.T) {
	pkgs := listPackages(t)
	var services []string
	for name, p := range pkgs {
		deps := ours(p.Deps)
		switch {
		case isService(name):
			services = append(services, name)
			for _, d := range deps {
				if under(d, "sim") && d != "sim/env" {
					t.Errorf("service %s depends on %s; services reach the simulator only through sim/env", name, d)
				}
			}
		case isRoom(name):
			for _, d := range deps {
				if d != "sim/env" && d != "model" && !isRoom(d) {
					t.Errorf("room %s depends on %s; a room of the kernel depends only on sim/env, model and other rooms", name, d)
				}
			}
		case under(name, "sim"):
			for _, d := range deps {
				if isService(d) || isWorld(d) && !under(d, "sim") {
					t.Errorf("%s depends on %s; sim imports no service", name, d)
				}
			}
		case under(name, "tamarin"):
			for _, d := range deps {
				if d != "model" && !under(d, "tamarin") {
					t.Errorf("%s depends on %s; tamarin imports model and its own packages only", name, d)
				}
			}
		}
		if !under(name, "cmd") {
			for _, imp := range ours(p.Imports) {
				if isWorld(imp) {
					t.Errorf("%s imports the world %s; only cmd (and tests) may", name, imp)
				}
			}
		}
	}
	// Every room exists and the kernel builds on it (so the list above is
	// the layout, not a wish).
	for _, r := range rooms {
		if _, ok := pkgs[r]; !ok {
			t.Errorf("room %s does not exist", r)
		} else if !slices.Contains(ours(pkgs["sim"].Deps), r) {
			t.Errorf("the kernel does not build on its room %s", r)
		}
	}
	// The services that need the outside world get it from the seam.
	for _, root := range []string{"ohttp", "cache"} {
		if !slices.Contains(ours(pkgs[root].Imports), "sim/env") {
			t.Errorf("%s does not import sim/env", root)
		}
	}
	if len(services) < 3 {
		t.Fatalf("only %d service packages found: %v", len(services), services)
	}
}

// TestArrowRulesSeeViolations keeps the rules above honest: each names
// the packages it must.
func TestArrowRulesSeeViolations(t *testing.T) {
	for p, want := range map[string]bool{"ohttp/ohttpsim": true, "sim/pingworld": true, "mail/mailsim": true, "sim": false, "sim/simtest": false, "ohttp": false} {
		if isWorld(p) != want {
			t.Errorf("isWorld(%s) = %v", p, !want)
		}
	}
	for p, want := range map[string]bool{"sim/dns": true, "sim/plan": true, "sim/internal/wire": true, "sim": false, "sim/env": false, "sim/world": false} {
		if isRoom(p) != want {
			t.Errorf("isRoom(%s) = %v", p, !want)
		}
	}
	for p, want := range map[string]bool{"ohttp": true, "ohttp/bhttp": true, "mail/smtp": true, "cache": true, "ohttp/ohttpsim": false, "sim/env": false, "model": false} {
		if isService(p) != want {
			t.Errorf("isService(%s) = %v", p, !want)
		}
	}
	if got := ours([]string{"fmt", module, module + "/sim/env"}); !slices.Equal(got, []string{"", "sim/env"}) {
		t.Errorf("ours: %v", got)
	}
}
