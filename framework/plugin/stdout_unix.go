//go:build unix

package plugin

import (
	"os"

	"golang.org/x/sys/unix"
)

// claimStdout keeps the handshake channel for go-plugin and points file
// descriptor 1 at stderr, so that whatever else the plugin prints to stdout
// (its constructors, a C library) lands in the host's log instead of
// breaking the handshake. It returns the original stdout.
func claimStdout() *os.File {
	fd, err := unix.Dup(1)
	if err != nil {
		return os.Stdout
	}
	if err := unix.Dup2(2, 1); err != nil {
		_ = unix.Close(fd)
		return os.Stdout
	}
	unix.CloseOnExec(fd)
	handshake := os.NewFile(uintptr(fd), "/dev/stdout")
	os.Stdout = os.Stderr
	return handshake
}

// writeStdioToStderr makes the files that os.Stdout and os.Stderr hold write
// to file descriptor 2.
func writeStdioToStderr() {
	for _, f := range []*os.File{os.Stdout, os.Stderr} {
		if fd := int(f.Fd()); fd != 2 { // Fd also puts the file in blocking mode
			_ = unix.Dup2(2, fd)
		}
	}
}
