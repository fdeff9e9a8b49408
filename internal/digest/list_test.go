package digest

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestListRoundTrip(t *testing.T) {
	sums := []Sum{{"ba78", "a b.txt"}, {"e3b0", "sub/c"}}
	text := FormatList(sums)
	if want := "ba78  a b.txt\ne3b0  sub/c\n"; string(text) != want {
		t.Fatalf("FormatList = %q, want %q", text, want)
	}
	back, err := ParseList("x.sha256", text)
	if err != nil || !reflect.DeepEqual(back, sums) {
		t.Fatalf("ParseList = %v, %v; want %v", back, err, sums)
	}
	if got, err := ParseList("x.sha256", nil); err != nil || len(got) != 0 {
		t.Errorf("empty listing: %v, %v", got, err)
	}
	for _, bad := range []string{"ba78 a\n", "ba78  a\n\n", "ba78  a\nno separator"} {
		if _, err := ParseList("x.sha256", []byte(bad)); err == nil {
			t.Errorf("ParseList(%q): no error", bad)
		}
	}
	if _, err := ParseList("x.sha256", []byte("ba78  a\nbad\n")); err == nil || err.Error() != `x.sha256:2: not a line "SHA256  FILE"` {
		t.Errorf("malformed second line: %v", err)
	}
}

func TestTree(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"b": "abc", "a/z": "", "a/b": "x"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sums, size, err := Tree(dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, s := range sums {
		paths = append(paths, s.Path)
	}
	if !reflect.DeepEqual(paths, []string{"a/b", "a/z", "b"}) || size != 4 {
		t.Errorf("Tree: paths %v, size %d; want a/b a/z b, 4", paths, size)
	}
	if sums[2].SHA256 != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("sha256 of b: %s", sums[2].SHA256)
	}
	if err := os.Symlink("b", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Tree(dir); err == nil {
		t.Error("Tree with a link: no error")
	}
}
