package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	if err := WriteFile(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "two" {
		t.Fatalf("got %q", got)
	}
	// A failed write leaves the old file and no temporary file.
	err := Write(path, func(w io.Writer) error {
		w.Write([]byte("half"))
		return errors.New("killed")
	})
	if err == nil {
		t.Fatal("want the writer's error")
	}
	if got, _ := os.ReadFile(path); string(got) != "two" {
		t.Fatalf("after a failed write: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x"), nil); err == nil {
		t.Fatal("want an error for a missing folder")
	}
}

// TestWriteFileMode: a written file has the mode os.WriteFile gives a new
// file (0o666 less the umask), not the temporary file's 0o600.
func TestWriteFileMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shared.json")
	if err := WriteFile(path, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(dir, "ref.json")
	if err := os.WriteFile(ref, []byte("{}"), 0o666); err != nil {
		t.Fatal(err)
	}
	got, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Stat(ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mode().Perm() != want.Mode().Perm() {
		t.Errorf("mode %v, want %v as os.WriteFile gives", got.Mode().Perm(), want.Mode().Perm())
	}
}

// TestWriteFileModePrivate: WriteFileMode(…, 0o600) leaves a file only its
// owner can read.
func TestWriteFileModePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := WriteFileMode(path, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm()&0o077 != 0 {
		t.Errorf("mode %v (%v): readable beyond its owner", info.Mode().Perm(), err)
	}
}
