package main

import "io"

// analyzeSubcommands are the analyses of forkrl analyze SUBCOMMAND.
var analyzeSubcommands = map[string]func(args []string, stdout, stderr io.Writer) int{}
