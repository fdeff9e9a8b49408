//go:build !unix

package plugin

import "os/exec"

// setOwnGroup does nothing where there are no process groups.
func setOwnGroup(*exec.Cmd) {}

// killGroup does nothing where there are no process groups: only the plugin
// process itself is stopped.
func killGroup(int) {}
