package plugin

import (
	"os"
	"os/signal"
	"syscall"
)

// StopOnSignals makes SIGINT and SIGTERM close every plugin (CloseAll) before
// the signal takes its default course, so the host ends as it would have,
// leaving no plugin process and no socket behind. It returns a function that
// undoes it. A host that handles these signals itself calls CloseAll from
// its handler instead.
func StopOnSignals() (stop func()) {
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-ch:
			CloseAll()
			signal.Reset(sig)
			_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
