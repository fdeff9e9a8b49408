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
