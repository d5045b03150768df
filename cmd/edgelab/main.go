// Command edgelab runs the lab: simulated worlds, sweeps over seeds, replay
// and shrinking of failing plans, trace export and checking, proofs, seeded
// bugs, and real servers.
//
// With no arguments it runs every world on its default seed and prints one
// line per world. Usage errors print one line and exit with status 2.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand. Each lives in its own file and registers itself
// from init, so subcommands do not share a file.
type command struct {
	name    string
	summary string
	// run executes the command; it returns the process exit status.
	run func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("edgelab: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// defaultCommand is what a bare `edgelab` runs.
const defaultCommand = "all"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{defaultCommand}
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "edgelab: unknown command %q (try 'edgelab help')\n", name)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: edgelab [command] [flags]")
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "With no command, runs every world on its default seed.")
	fmt.Fprintln(w, "")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
}

// usageError is returned by flag parsing helpers for bad command lines.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// parseFlags parses args into fs without printing anything; the caller turns
// an error into one line and exit status 2.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			var flags strings.Builder
			fs.SetOutput(&flags)
			fs.PrintDefaults()
			return &usageError{msg: fmt.Sprintf("usage: edgelab %s [flags]\n%s", fs.Name(), strings.TrimRight(flags.String(), "\n"))}
		}
		return &usageError{msg: err.Error()}
	}
	return nil
}

// fail prints a one-line error for command cmd and returns exit status code.
func fail(stderr io.Writer, cmd string, code int, err error) int {
	fmt.Fprintf(stderr, "edgelab %s: %v\n", cmd, err)
	return code
}

// runFunc is the signature of a command or subcommand body.
type runFunc func(args []string, stdout, stderr io.Writer) int

// dispatch runs the subcommand named by args[0] from subs, for commands
// such as `serve ohttp` whose first argument picks what to do. A missing
// or unknown subcommand is a usage error.
func dispatch(cmd, usage string, subs map[string]runFunc, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: edgelab "+cmd+" "+usage)
		return 2
	}
	if run, ok := subs[args[0]]; ok {
		return run(args[1:], stdout, stderr)
	}
	names := make([]string, 0, len(subs))
	for n := range subs {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(stderr, "edgelab %s: unknown subcommand %q (want %s)\n", cmd, args[0], strings.Join(names, ", "))
	return 2
}
