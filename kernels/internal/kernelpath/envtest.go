package kernelpath

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// childEnv marks a test binary that TestEnv started again.
const childEnv = "KERNELPATH_TEST_CHILD"

// TestEnv checks, from the test t of a kernel package, that its variable env
// forces each of paths that can run here (set reports which: it selects a
// path, or fails) in a fresh process, where impl() names the path taken, and
// that an unknown name stops the process at start with an error naming env.
// It runs the test binary again, t's test alone; in that child it only
// prints the path and returns.
func TestEnv(t *testing.T, env string, paths []string, impl func() string, set func(string) error) {
	if os.Getenv(childEnv) != "" {
		fmt.Println("impl:", impl())
		return
	}
	child := func(value string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run", "^"+t.Name()+"$")
		cmd.Env = append(os.Environ(), childEnv+"=1", env+"="+value)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	saved := impl()
	defer set(saved)
	for _, name := range paths {
		if set(name) != nil {
			continue
		}
		if out, err := child(name); err != nil || !strings.Contains(out, "impl: "+name+"\n") {
			t.Errorf("%s=%s: %v\n%s", env, name, err, out)
		}
	}
	if out, err := child("avx1024"); err == nil || !strings.Contains(out, env+`="avx1024" names no kernel path`) {
		t.Errorf("%s=avx1024: %v\n%s", env, err, out)
	}
}
