package rundir

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the file in a run directory that a training process holds
// locked, with its process id inside, for as long as it trains the run.
const LockFile = ".lock"

// Lock takes the run directory at path (creating it if need be) for this
// process, so that no second process trains the same run at the same time.
// It refuses, naming the holder's process id, when another process holds
// it. The lock ends with the returned release function or with the process,
// however it ends.
func Lock(path string) (release func(), err error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, err
	}
	name := filepath.Join(path, LockFile)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		data, _ := os.ReadFile(name)
		holder := "another process"
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(data))); perr == nil {
			holder = fmt.Sprintf("another forkrl process (pid %d)", pid)
		}
		return nil, fmt.Errorf("run directory %s is in use by %s: wait for it to end, or stop it, before resuming", path, holder)
	}
	if err = f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
