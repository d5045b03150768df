// Command edgelab runs the lab: simulated worlds, sweeps over seeds, replay
// and shrinking of failing plans, trace export and checking, proofs, seeded
// bugs, and real servers.
//
// With no arguments (or only flags) it runs the lab's main job (`edgelab
// lab`): every world over seeds with faults, every property, the trace
// checker, the seeded bugs, proofs when tamarin-prover is installed; it
// prints a summary table and writes edgelab-out/report.html. Errors print one line; the exit statuses are in cli.go.
package main

import (
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
const defaultCommand = "lab"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{defaultCommand}
	}
	name := args[0]
	if isHelp(name) {
		// `help CMD [SUB]` is `CMD [SUB] -h`.
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run(append(append([]string(nil), args[2:]...), "-h"), stdout, stderr)
			}
			return fail(stderr, "help", exitUsage, fmt.Errorf("unknown command %q (try 'edgelab help')", args[1]))
		}
		usage(stdout)
		return exitOK
	}
	if strings.HasPrefix(name, "-") {
		// Flags with no command are the default command's.
		name, args = defaultCommand, append([]string{defaultCommand}, args...)
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "edgelab: unknown command %q (try 'edgelab help')\n", name)
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: edgelab [command] [flags] [args]")
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "With no command, runs the lab's main job (lab). Flags may come")
	fmt.Fprintln(w, "before or after arguments. 'edgelab help CMD' or 'edgelab CMD -h' shows")
	fmt.Fprintln(w, "a command's flags.")
	fmt.Fprintln(w, "")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, exitCodesHelp)
}

// runFunc is the signature of a command or subcommand body.
type runFunc func(args []string, stdout, stderr io.Writer) int

// dispatch runs the subcommand named by args[0] from subs, for commands
// such as `serve ohttp` whose first argument picks what to do. A missing
// or unknown subcommand is a usage error; -h lists the subcommands.
func dispatch(cmd, usage string, subs map[string]runFunc, args []string, stdout, stderr io.Writer) int {
	names := make([]string, 0, len(subs))
	for n := range subs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: edgelab "+cmd+" "+usage)
		return exitUsage
	}
	if isHelp(args[0]) {
		fmt.Fprintf(stdout, "usage: edgelab %s %s\n\nsubcommands: %s ('edgelab %s SUB -h' for one's flags)\n", cmd, usage, strings.Join(names, ", "), cmd)
		return exitOK
	}
	if run, ok := subs[args[0]]; ok {
		return run(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "edgelab %s: unknown subcommand %q (want %s)\n", cmd, args[0], strings.Join(names, ", "))
	return exitUsage
}
