package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/forkrl/forkrl/internal/digest"

	"github.com/forkrl/forkrl/framework/plugin"
)

func init() {
	register(&command{
		name:    "plugins",
		summary: "list the plugins forkrl can load: built-in and in the plugin directory",
		run:     runPlugins,
	})
}

// defaultPluginDir is where `forkrl plugins` looks for external plugins:
// $FORKRL_PLUGIN_DIR, or ~/.forkrl/plugins.
func defaultPluginDir() string {
	if d := os.Getenv("FORKRL_PLUGIN_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".forkrl", "plugins")
	}
	return filepath.Join(home, ".forkrl", "plugins")
}

// pluginRow is one line of the listing.
type pluginRow struct {
	kind, name, version string
	protocol            int
	origin, sha256      string
}

func runPlugins(args []string) int {
	fs := flag.NewFlagSet("plugins", flag.ContinueOnError)
	dir := fs.String("dir", defaultPluginDir(), "directory of external plugin executables: $FORKRL_PLUGIN_DIR, else ~/.forkrl/plugins")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: forkrl plugins [-dir DIR]")
		fmt.Fprintln(fs.Output(), "Lists the built-in plugins and the external plugin executables in DIR with their kind,")
		fmt.Fprintln(fs.Output(), "name, version, protocol version, origin and sha256. Listing an external plugin starts it")
		fmt.Fprintln(fs.Output(), "to ask its Info, so keep only executables you trust in DIR.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err == flag.ErrHelp {
		return 0
	} else if err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	rows := builtinRows()
	ext, failed := externalRows(*dir, os.Stderr)
	rows = append(rows, ext...)
	writeRows(os.Stdout, rows)
	if failed {
		return 1
	}
	return 0
}

// builtinRows describes the built-ins without starting them.
func builtinRows() []pluginRow {
	var rows []pluginRow
	for _, b := range plugin.Builtins() {
		row := pluginRow{kind: string(b.Kind), name: b.Name, version: "?", origin: "built-in", sha256: "-"}
		if b.New == nil { // served by a command of its own, described when it runs
			row.origin = "built-in (own process)"
			rows = append(rows, row)
			continue
		}
		if info, ok, err := b.Describe(context.Background()); ok && err == nil {
			row.protocol = info.Protocol
			if info.Version != "" {
				row.version = info.Version
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// externalRows starts each executable of dir to ask its Info. A missing
// directory lists nothing; a file that is not a working plugin is reported
// on errs.
func externalRows(dir string, errs io.Writer) (rows []pluginRow, failed bool) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, false
	}
	if err != nil {
		fmt.Fprintf(errs, "forkrl plugins: %v\n", err)
		return nil, true
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		st, err := os.Stat(path)
		if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
			continue
		}
		sum, err := digest.File(path)
		if err != nil {
			fmt.Fprintf(errs, "forkrl plugins: %v\n", err)
			failed = true
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		info, err := plugin.Inspect(ctx, plugin.Spec{Source: path, SHA256: sum, Log: io.Discard, StartTimeout: 30 * time.Second})
		cancel()
		if err != nil {
			fmt.Fprintf(errs, "forkrl plugins: %v\n", err)
			failed = true
			continue
		}
		for _, k := range info.Kinds {
			rows = append(rows, pluginRow{kind: string(k), name: info.Name, version: info.Version, protocol: info.Protocol, origin: path, sha256: sum})
		}
	}
	return rows, failed
}

func writeRows(w io.Writer, rows []pluginRow) {
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].kind < rows[j].kind })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join([]string{"KIND", "NAME", "VERSION", "PROTOCOL", "ORIGIN", "SHA256"}, "\t"))
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.kind, r.name, r.version, r.protocol, r.origin, r.sha256)
	}
	_ = tw.Flush()
}
