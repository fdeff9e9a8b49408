// Package atomicfile writes files that readers see whole or not at all: a
// run killed at any moment leaves either the old file or the new one, never
// a torn one.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write streams a file through write into a temporary file in the same
// folder, syncs it and renames it over path. The file gets the mode that
// os.WriteFile(path, data, 0o666) would give a new file (0o644 under the
// usual umask), not the temporary file's 0o600. On error nothing is left
// behind and path is untouched.
func Write(path string, write func(io.Writer) error) error {
	return writeMode(path, 0o666, write)
}

// writeMode is Write for a file of mode perm less the umask.
func writeMode(path string, perm os.FileMode, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(perm &^ umask)
	w := bufio.NewWriterSize(f, 1<<20)
	if err == nil {
		err = write(w)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	return WriteFileMode(path, data, 0o666)
}

// WriteFileMode writes data to path atomically, with mode perm less the
// umask from the start (0o600 keeps a private key private throughout).
func WriteFileMode(path string, data []byte, perm os.FileMode) error {
	return writeMode(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
