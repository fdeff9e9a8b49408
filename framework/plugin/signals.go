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
			p, err := os.FindProcess(os.Getpid())
			if err == nil {
				err = p.Signal(sig)
			}
			if err != nil { // no way to re-raise it here (Windows): end as it would have
				os.Exit(1)
			}
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
