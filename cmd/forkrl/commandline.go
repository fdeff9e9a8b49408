package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// usage describes the command line of a forkrl (sub)command: what its help
// text says and how many positional arguments it takes.
type usage struct {
	name  string   // the command after "forkrl": "run", "bundle pack"
	flags string   // the flags as the synopsis shows them: "[--run NAME] [--resume]"
	args  string   // the positional arguments: "RECIPE" (one), "RUN_DIR..." (one or more), "[FILE]" (at most one), "A B" (two), "RUN_DIR... | FOLDER" (either); "" for none
	also  []string // other forms of the command line, after "forkrl "
	about []string // the lines that say what the command does
}

// commandLine is the flag set of a (sub)command, with the usage it was made
// from.
type commandLine struct {
	*flag.FlagSet
	usage usage
}

// flagSet makes the command's flag set. Its errors and help text go to
// stderr; the help text (-h) is the synopsis, the other forms, the about
// lines and the flags with their defaults.
func (u usage) flagSet(stderr io.Writer) *commandLine {
	fs := flag.NewFlagSet(u.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n", strings.Join(strings.Fields("forkrl "+u.name+" "+u.flags+" "+u.args), " "))
		for _, form := range u.also {
			fmt.Fprintf(stderr, "       forkrl %s\n", form)
		}
		if len(u.about) > 0 {
			fmt.Fprintln(stderr)
			for _, line := range u.about {
				fmt.Fprintln(stderr, line)
			}
		}
		flags := false
		fs.VisitAll(func(*flag.Flag) { flags = true })
		if flags {
			fmt.Fprintln(stderr)
			fs.PrintDefaults()
		}
	}
	return &commandLine{FlagSet: fs, usage: u}
}

// parse parses args, whose flags may stand before, between and after the
// positional arguments, and checks how many of these there are. It returns
// them with code -1 for the command to go on; else code is the exit status
// (0 after -h, 2 after a bad command line) and what went wrong has
// been printed: the flag package's error, or the help text.
func (c *commandLine) parse(args []string) (pos []string, code int) {
	for {
		err := c.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		if err != nil {
			return nil, 2
		}
		if c.NArg() == 0 {
			break
		}
		pos = append(pos, c.Arg(0))
		args = c.Args()[1:]
	}
	least, most := argCount(c.usage.args)
	switch {
	case len(pos) < least:
		c.Usage()
		return nil, 2
	case most == 1 && len(pos) > 1:
		fmt.Fprintf(c.Output(), "forkrl %s: one %s at a time; unexpected %q\n", c.usage.name, argNoun(c.usage.args), pos[1])
		return nil, 2
	case most >= 0 && len(pos) > most:
		takes := c.usage.args
		if takes == "" {
			takes = "no arguments"
		}
		fmt.Fprintf(c.Output(), "forkrl %s: takes %s; unexpected %q\n", c.usage.name, takes, pos[most])
		return nil, 2
	}
	return pos, -1
}

// parseOne parses a command line with one positional argument and returns
// it, as parse does.
func (c *commandLine) parseOne(args []string) (string, int) {
	pos, code := c.parse(args)
	if code >= 0 {
		return "", code
	}
	return pos[0], -1
}

// fail reports err as the command's ("forkrl NAME: err") and returns the
// exit status of a failure, 1.
func (c *commandLine) fail(err error) int {
	fmt.Fprintf(c.Output(), "forkrl %s: %v\n", c.usage.name, err)
	return 1
}

// argCount reads how many positional arguments a synopsis such as
// "RUN_DIR... | FOLDER" asks for: at least least, at most most (-1: no
// limit). A word after "|" is an alternative to the word before it.
func argCount(args string) (least, most int) {
	words := strings.Fields(args)
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "|" {
			i++
			continue
		}
		optional := strings.HasPrefix(w, "[")
		w = strings.Trim(w, "[]")
		if !optional {
			least++
		}
		switch {
		case most < 0:
		case strings.HasSuffix(w, "..."):
			most = -1
		default:
			most++
		}
	}
	return least, most
}

// argNoun is how an error names a positional argument: "RECIPE" is "recipe",
// "RUN_DIR" "run dir".
func argNoun(args string) string {
	w := strings.Trim(strings.Fields(args)[0], "[].")
	return strings.ToLower(strings.ReplaceAll(w, "_", " "))
}
