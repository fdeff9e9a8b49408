package main

import (
	"bytes"
	"errors"
	"os"
	"sort"
	"strings"
	"testing"
)

func TestArgCount(t *testing.T) {
	for _, c := range []struct {
		args        string
		least, most int
	}{
		{"", 0, 0},
		{"RECIPE", 1, 1},
		{"[FILE]", 0, 1},
		{"A B", 2, 2},
		{"RUN_DIR...", 1, -1},
		{"[RUN_DIR...]", 0, -1},
		{"RUN_DIR... | FOLDER", 1, -1},
		{"FILE.jsonl", 1, 1},
	} {
		if least, most := argCount(c.args); least != c.least || most != c.most {
			t.Errorf("argCount(%q) = %d, %d; want %d, %d", c.args, least, most, c.least, c.most)
		}
	}
}

func TestParseCommandLine(t *testing.T) {
	parse := func(args string, argv ...string) ([]string, int, string) {
		var stderr bytes.Buffer
		fs := usage{name: "x", flags: "[-n N]", args: args, about: []string{"Does x."}}.flagSet(&stderr)
		fs.Int("n", 1, "a number")
		pos, code := fs.parse(argv)
		return pos, code, stderr.String()
	}
	// Flags may stand before, between and after the arguments.
	if pos, code, _ := parse("RUN_DIR...", "-n", "2", "a", "-n=3", "b", "-n", "4"); code != -1 || strings.Join(pos, " ") != "a b" {
		t.Errorf("interleaved: got %q, code %d", pos, code)
	}
	if _, code, out := parse("RECIPE", "-h"); code != 0 || !strings.HasPrefix(out, "usage: forkrl x [-n N] RECIPE\n\nDoes x.\n\n  -n int") {
		t.Errorf("-h: code %d, output\n%s", code, out)
	}
	if _, code, out := parse("RECIPE"); code != 2 || !strings.HasPrefix(out, "usage: forkrl x") {
		t.Errorf("no recipe: code %d, output\n%s", code, out)
	}
	if _, code, out := parse("RECIPE", "a.hcl", "b.hcl"); code != 2 || out != "forkrl x: one recipe at a time; unexpected \"b.hcl\"\n" {
		t.Errorf("two recipes: code %d, output %q", code, out)
	}
	if _, code, out := parse("A B", "a", "b", "c"); code != 2 || out != "forkrl x: takes A B; unexpected \"c\"\n" {
		t.Errorf("three of two: code %d, output %q", code, out)
	}
	if _, code, out := parse("", "a"); code != 2 || out != "forkrl x: takes no arguments; unexpected \"a\"\n" {
		t.Errorf("one of none: code %d, output %q", code, out)
	}
	var stderr bytes.Buffer
	if code := (usage{name: "bundle x"}).flagSet(&stderr).fail(errors.New("no such file")); code != 1 || stderr.String() != "forkrl bundle x: no such file\n" {
		t.Errorf("fail: code %d, output %q", code, stderr.String())
	}
	if _, code, out := parse("RECIPE", "-n", "many", "a.hcl"); code != 2 || !strings.Contains(out, `invalid value "many" for flag -n`) {
		t.Errorf("bad flag value: code %d, output\n%s", code, out)
	}
}

// forkrlOutput runs forkrl with args in this process, as main does, and
// returns its exit status, stdout and stderr.
func forkrlOutput(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	capture := func(f **os.File) func() string {
		tmp, err := os.CreateTemp(t.TempDir(), "out")
		if err != nil {
			t.Fatal(err)
		}
		old := *f
		*f = tmp
		return func() string {
			*f = old
			tmp.Close()
			b, err := os.ReadFile(tmp.Name())
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	stdout, stderr := capture(&os.Stdout), capture(&os.Stderr)
	code := dispatch(args)
	return code, stdout(), stderr()
}

// TestEveryCommandsHelp asks each command and subcommand, as a user would,
// for its help (-h and forkrl help COMMAND) and gives it a flag it lacks.
func TestEveryCommandsHelp(t *testing.T) {
	var lines [][]string
	for name, c := range commands {
		if !c.hidden && name != "bundle" {
			lines = append(lines, []string{name})
		}
	}
	for _, s := range bundleSubcommands {
		lines = append(lines, []string{"bundle", s.name})
	}
	for name := range analyzeSubcommands {
		lines = append(lines, []string{"analyze", name})
	}
	lines = append(lines, []string{"sweep", "status"})
	sort.Slice(lines, func(i, j int) bool { return strings.Join(lines[i], " ") < strings.Join(lines[j], " ") })
	for _, line := range lines {
		name := strings.Join(line, " ")
		code, stdout, help := forkrlOutput(t, append(line, "-h")...)
		if code != 0 || stdout != "" || !strings.HasPrefix(help, "usage: forkrl "+name+" ") {
			t.Errorf("forkrl %s -h: exit %d, stdout %q, stderr\n%s", name, code, stdout, help)
			continue
		}
		if code, _, again := forkrlOutput(t, append([]string{"help"}, line...)...); code != 0 || again != help {
			t.Errorf("forkrl help %s: exit %d, stderr\n%s\nwant that of forkrl %s -h", name, code, again, name)
		}
		code, _, stderr := forkrlOutput(t, append(line, "--no-such-flag")...)
		if code != 2 || !strings.HasPrefix(stderr, "flag provided but not defined: -no-such-flag\n"+help) {
			t.Errorf("forkrl %s --no-such-flag: exit %d, stderr\n%s", name, code, stderr)
		}
	}
	code, stdout, _ := forkrlOutput(t, "help", "bundle")
	if code != 0 || !strings.HasPrefix(stdout, "usage: forkrl bundle SUBCOMMAND") {
		t.Errorf("forkrl help bundle: exit %d, stdout\n%s", code, stdout)
	}
}
