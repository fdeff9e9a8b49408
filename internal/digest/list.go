package digest

import (
	"bytes"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// Sum is one line of a sha256sum listing: the hex sha256 of a file and its
// slash-separated path.
type Sum struct {
	SHA256, Path string
}

// FormatList writes sums as sha256sum does ("SHA256  PATH" lines), in their
// order, so that `sha256sum -c` checks the files too.
func FormatList(sums []Sum) []byte {
	var b bytes.Buffer
	for _, s := range sums {
		fmt.Fprintf(&b, "%s  %s\n", s.SHA256, s.Path)
	}
	return b.Bytes()
}

// ParseList reads a listing that FormatList wrote; name, the listing's file,
// is where a malformed line is reported (name:line).
func ParseList(name string, data []byte) ([]Sum, error) {
	var sums []Sum
	for i, line := range strings.SplitAfter(string(data), "\n") {
		if line == "" { // after the last newline
			break
		}
		sum, path, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "  ")
		if !ok || sum == "" || path == "" {
			return nil, fmt.Errorf("%s:%d: not a line \"SHA256  FILE\"", name, i+1)
		}
		sums = append(sums, Sum{SHA256: sum, Path: path})
	}
	return sums, nil
}

// Tree lists the sha256 of every file below dir, by slash-separated path
// relative to dir in lexical order, and their total size. A file that is
// not a regular one (a link, a device) is an error.
func Tree(dir string) (sums []Sum, size int64, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		sum, n, err := FileSize(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		sums = append(sums, Sum{SHA256: sum, Path: filepath.ToSlash(rel)})
		size += n
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return sums, size, nil
}
