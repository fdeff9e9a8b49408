package plugin

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel SIGKILL the plugin when the host dies,
// even by SIGKILL, so that no plugin outlives its host.
func setDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
