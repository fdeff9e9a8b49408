package digest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "abc")
	if err := os.WriteFile(path, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	// sha256("abc") from FIPS 180-2, appendix B.1.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got, err := File(path); err != nil || got != want {
		t.Errorf("File = %q, %v; want %q", got, err, want)
	}
	if got, n, err := FileSize(path); err != nil || got != want || n != 3 {
		t.Errorf("FileSize = %q, %d, %v; want %q, 3", got, n, err, want)
	}
	if _, err := File(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("File of an absent file: no error")
	}
}
