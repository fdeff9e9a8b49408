//go:build !unix

package bundle

// freeSpace cannot tell the free space on this system.
func freeSpace(dir string) (free int64, ok bool) { return 0, false }
