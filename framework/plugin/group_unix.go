//go:build unix

package plugin

import (
	"os/exec"
	"syscall"
)

// setOwnGroup starts the plugin in a process group of its own, which the
// processes it starts join, so that killGroup ends them all, and a Ctrl-C at
// the terminal reaches the host alone, which then stops the plugins.
func setOwnGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// killGroup SIGKILLs every process left in the process group the plugin
// with the given pid leads.
func killGroup(pid int) {
	if pid > 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}
