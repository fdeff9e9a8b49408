//go:build !linux

package plugin

import "os/exec"

// setDeathSignal does nothing here: only Linux has Pdeathsig, so elsewhere
// plugins stop when the host calls CloseAll, and a killed host can leave them
// behind.
func setDeathSignal(*exec.Cmd) {}
