// Package digest computes the content digests forkrl records and checks:
// plugin executables, data files, checkpoint files, bundle entries.
package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// File returns the hex sha256 of a file's content.
func File(path string) (string, error) {
	sum, _, err := FileSize(path)
	return sum, err
}

// FileSize returns the hex sha256 of a file's content and its size in
// bytes, read in one pass.
func FileSize(path string) (sum string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	if size, err = io.Copy(h, f); err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}
