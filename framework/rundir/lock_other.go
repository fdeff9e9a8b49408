//go:build !unix

package rundir

import "os"

// lockFile does nothing where advisory file locks are not available: two
// processes on one run directory are then not stopped.
func lockFile(*os.File) error { return nil }
