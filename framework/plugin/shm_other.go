//go:build !linux

package plugin

import "os"

// createRegion reports that this system has no shared memory for plugins:
// tensors go inline.
func createRegion(int) (*os.File, []byte, error) { return nil, nil, errNoSharedMemory }

// openRegion reports that this system has no shared memory for plugins.
func openRegion(int, int) ([]byte, error) { return nil, errNoSharedMemory }

// unmapRegion does nothing: no region is ever mapped here.
func unmapRegion([]byte) error { return nil }
