package main

import "github.com/forkrl/forkrl/framework/plugin"

// `forkrl plugin serve KIND NAME` is how the host serves a built-in plugin in
// its own process: it re-executes its own binary with these arguments.
func init() {
	register(&command{
		name:    "plugin",
		summary: "serve a built-in plugin (run by the forkrl host, not by hand)",
		hidden:  true,
		run:     plugin.ServeCommand,
	})
}
