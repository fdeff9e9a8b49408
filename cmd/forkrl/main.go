// Command forkrl runs reinforcement-learning experiments on language-model
// reasoning from HCL recipes, with model backends, verifiers and token
// selectors loaded as plugins.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/forkrl/forkrl/internal/profile"
)

// command is one subcommand of forkrl. Each lives in its own file and
// registers itself from an init function.
type command struct {
	name    string
	summary string // one line for the help text
	hidden  bool   // left out of the help text (internal commands)
	run     func(args []string) int
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("forkrl: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	os.Exit(profiled(os.Args[1:]))
}

// profiled runs the command under the CPU and heap profiles that
// $FORKRL_CPUPROFILE and $FORKRL_MEMPROFILE ask for (see internal/profile).
func profiled(args []string) int {
	role := ""
	if len(args) >= 4 && args[0] == "plugin" && args[1] == "serve" {
		role = args[2] + "-" + args[3]
	}
	stop, err := profile.Start(role)
	if err != nil {
		fmt.Fprintln(os.Stderr, "forkrl:", err)
		return 1
	}
	code := dispatch(args)
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "forkrl:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func dispatch(args []string) int {
	if len(args) >= 2 && args[0] == "help" {
		args = slices.Concat(args[1:], []string{"-h"}) // forkrl help COMMAND [SUBCOMMAND]: its own help text
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		listCommands(os.Stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "forkrl: unknown command %q\n\n", args[0])
		listCommands(os.Stderr)
		return 2
	}
	return c.run(args[1:])
}

// listCommands writes forkrl's help text: the commands with their summaries.
func listCommands(w io.Writer) {
	fmt.Fprintln(w, "usage: forkrl COMMAND [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	var names []string
	for name, c := range commands {
		if !c.hidden {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %s%s  %s\n", n, strings.Repeat(" ", width-len(n)), commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'forkrl help COMMAND' (or 'forkrl COMMAND -h') for the flags of a command.")
}
