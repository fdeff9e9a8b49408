//go:build !unix

package plugin

import "os"

// claimStdout returns stdout as it is: redirecting file descriptors is Unix only.
func claimStdout() *os.File { return os.Stdout }

// writeStdioToStderr does nothing: redirecting file descriptors is Unix only.
func writeStdioToStderr() {}
