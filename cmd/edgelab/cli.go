package main

// This file is what every command shares about meeting its user: the exit
// statuses, flag parsing that takes flags anywhere on the line and answers
// -h with the command's own help, and one-line errors. Commands use these
// and nothing else, so they all behave alike.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit statuses. A script can tell "the lab found a problem" (1) from "the
// command line was wrong" (2) from "the machine would not let us" (3).
const (
	exitOK = 0
	// exitFailed: a property, check, proof or comparison failed.
	exitFailed = 1
	// exitUsage: a bad flag or argument, an unknown world, an input file
	// that is missing, malformed or of the wrong kind.
	exitUsage = 2
	// exitEnv: the environment failed us: an output that could not be
	// written, a port already in use, a network error, a required program
	// that is missing, a shard report that is missing.
	exitEnv = 3
)

// exitCodesHelp is the table `edgelab help` prints.
const exitCodesHelp = `exit status:
  0  ok
  1  a property, check, proof or comparison failed (the output says which)
  2  usage: bad flag or argument, unknown world, input file missing, malformed or of the wrong kind
  3  environment: output not writable, port in use, network error, required program
     missing (prove --require-prover), shard report missing (sweep merge)`

// helpRequest is returned by parseArgs for -h: not an error, the help text.
type helpRequest struct{ text string }

func (h *helpRequest) Error() string { return h.text }

// parseArgs parses args into fs, taking flags before, between and after
// the positional arguments ("check t.ndjson --adversary relay"), and
// returns the positional ones. A lone "--" ends the flags. It prints
// nothing: flagError turns its error into output and an exit status.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpRequest{text: commandHelp(fs)}
			}
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// commandHelp is the help of the command whose flag set is fs: its
// synopsis and its flags.
func commandHelp(fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: edgelab %s [flags]", fs.Name())
	if c, ok := commands[fs.Name()]; ok {
		fmt.Fprintf(&b, "\n\n%s", c.summary)
	} else if s, ok := subcommandSummaries[fs.Name()]; ok {
		fmt.Fprintf(&b, "\n\n%s", s)
	}
	var flags strings.Builder
	fs.SetOutput(&flags)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if flags.Len() > 0 {
		fmt.Fprintf(&b, "\n\nflags:\n%s", strings.TrimRight(flags.String(), "\n"))
	}
	return b.String()
}

// subcommandSummaries describe the commands that sit under another
// ("sweep merge"), for their -h.
var subcommandSummaries = map[string]string{}

// flagError answers a parseArgs error: help goes to stdout with status 0,
// anything else is one line on stderr with status 2.
func flagError(stdout, stderr io.Writer, cmd string, err error) int {
	if h, ok := errors.AsType[*helpRequest](err); ok {
		fmt.Fprintln(stdout, h.text)
		return exitOK
	}
	return fail(stderr, cmd, exitUsage, err)
}

// fail prints a one-line error for command cmd and returns exit status code.
func fail(stderr io.Writer, cmd string, code int, err error) int {
	fmt.Fprintf(stderr, "edgelab %s: %s\n", cmd, oneLine(err.Error()))
	return code
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", " ") }

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// plural is "1 seed", "2 seeds".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
