// Command ptsevent runs WebAssembly guests on ptsevent's event loops.
//
// Usage:
//
//	ptsevent <command> [flags] [arguments]
//
// Each command lives in its own file (cmd_<name>.go) and registers itself
// in the commands table from an init function; `ptsevent help` lists them.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// A command is one subcommand of the CLI.
type command struct {
	name    string
	summary string // one line, for `ptsevent help`
	// run runs the command with the arguments after its name and returns
	// the process exit status.
	run func(args []string) int
}

// commands is the dispatch table, filled by register.
var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("ptsevent: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// Exit statuses of the CLI itself; a guest's own exit status is passed
// through unchanged.
const (
	exitUsage    = 2   // bad flags or arguments
	exitTimeout  = 124 // the guest ran past --timeout
	exitHostErr  = 125 // the guest could not be loaded or run
	exitTrap     = 134 // the guest trapped (as 128+SIGABRT)
	exitSignaled = 130 // interrupted by SIGINT or SIGTERM
)

func main() {
	os.Exit(dispatch(os.Args[1:]))
}

func dispatch(args []string) int {
	if len(args) == 0 {
		usage(os.Stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run([]string{"-h"})
			}
		}
		usage(os.Stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "ptsevent: unknown command %q\n\n", args[0])
		usage(os.Stderr)
		return exitUsage
	}
	return c.run(args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "ptsevent runs WebAssembly guests on an event loop.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: ptsevent <command> [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "ptsevent help <command>" for a command's flags.`)
}
