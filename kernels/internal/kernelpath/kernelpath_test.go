package kernelpath

import (
	"strings"
	"testing"
)

func TestChoose(t *testing.T) {
	paths := []string{"go", "avx2", "avx512"}
	upTo := func(best string) func(string) bool {
		return func(p string) bool { return p == "go" || p == "avx2" && best != "go" || p == best }
	}
	for _, tt := range []struct {
		forced, best, want, err string
	}{
		{"", "avx512", "avx512", ""},
		{"", "avx2", "avx2", ""},
		{"", "go", "go", ""},
		{"avx2", "avx512", "avx2", ""},
		{"go", "avx512", "go", ""},
		{"avx512", "avx2", "", `FORKRL_X="avx512" asks for a kernel path this CPU or build lacks (it has go, avx2)`},
		{"avx1024", "avx512", "", `FORKRL_X="avx1024" names no kernel path (this CPU has go, avx2, avx512)`},
	} {
		got, err := Choose("x", "FORKRL_X", tt.forced, paths, upTo(tt.best))
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("forced %q on a CPU up to %s: %q, %v; want %q, %q", tt.forced, tt.best, got, err, tt.want, tt.err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "x: ") {
			t.Errorf("the error %q does not name the package", err)
		}
	}
}
