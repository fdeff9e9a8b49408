package hooks

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"go.starlark.net/starlark"
)

// DefaultMemoryBudget is how much one hook call may grow the heap by when
// Options set no budget: far more than any per-step hook needs, far less
// than the memory of the machine (s = s + s forty times asks for 16 GiB).
const DefaultMemoryBudget = 1 << 30

// Bounds on the output of print(): per call, and over the whole run.
const (
	MaxPrintPerCall = 64 << 10
	MaxPrintPerRun  = 4 << 20
)

// memoryPoll is how often a call's heap growth is read.
const memoryPoll = time.Millisecond

// budgetLocal is the thread-local key of a call's memory budget in bytes,
// which the builtins that allocate by a requested size check first.
const budgetLocal = "forkrl.hooks.memory"

// heapBytes is the memory held by heap objects, live or not yet swept.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// watch cancels thread when ctx ends, or when the heap has grown by more
// than budget bytes since watch began and a garbage collection does not
// bring it back under. The interpreter stops at its next step, with the
// position of the statement that was running. Call the returned function
// when the call returns. A call costs no goroutine of its own: one watcher
// (memory) reads the heap for all the calls that run.
func watch(ctx context.Context, thread *starlark.Thread, budget uint64) (stop func()) {
	thread.SetLocal(budgetLocal, budget)
	c := &watched{thread: thread, budget: budget, start: heapBytes()}
	c.gcAt = c.start + budget
	memory.add(c)
	stopCancel := context.AfterFunc(ctx, func() { thread.Cancel("the run was cancelled") })
	return func() {
		stopCancel()
		memory.remove(c)
	}
}

// watched is a running call whose heap growth is checked.
type watched struct {
	thread *starlark.Thread
	budget uint64
	start  uint64 // the heap when the call began
	gcAt   uint64 // collect when the heap is above: at most once per budget of new allocations
}

// watcher reads the heap every memoryPoll while calls run, and sleeps
// while none does.
type watcher struct {
	once  sync.Once
	wake  chan struct{}
	mu    sync.Mutex
	calls map[*watched]bool
}

// memory watches the calls of every script of the process.
var memory = &watcher{wake: make(chan struct{}, 1), calls: map[*watched]bool{}}

func (w *watcher) add(c *watched) {
	w.once.Do(func() { go w.loop() })
	w.mu.Lock()
	w.calls[c] = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default: // awake already, or woken
	}
}

func (w *watcher) remove(c *watched) {
	w.mu.Lock()
	delete(w.calls, c)
	w.mu.Unlock()
}

func (w *watcher) loop() {
	tick := time.NewTicker(memoryPoll)
	for {
		w.mu.Lock()
		idle := len(w.calls) == 0
		w.mu.Unlock()
		if idle {
			tick.Stop()
			<-w.wake
			tick.Reset(memoryPoll)
			continue
		}
		<-tick.C
		w.check()
	}
}

// check cancels each call whose budget the heap's growth exceeds after a
// garbage collection.
func (w *watcher) check() {
	h := heapBytes()
	var over []*watched
	w.mu.Lock()
	for c := range w.calls {
		if h > c.gcAt {
			over = append(over, c)
		}
	}
	w.mu.Unlock()
	if len(over) == 0 {
		return
	}
	runtime.GC()
	h = heapBytes()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range over {
		if !w.calls[c] {
			continue // returned meanwhile
		}
		if h > c.start+c.budget {
			c.thread.Cancel(fmt.Sprintf("the hook used more than its memory budget of %s in one call (it grew the heap by %s); a hook should keep per-step data small", formatBytes(c.budget), formatBytes(h-c.start)))
			delete(w.calls, c)
			continue
		}
		c.gcAt = h + c.budget
	}
}

// checkAlloc refuses an allocation of n bytes that alone exceeds the
// memory budget of the call running on thread.
func checkAlloc(thread *starlark.Thread, what string, n uint64) error {
	if budget, ok := thread.Local(budgetLocal).(uint64); ok && n > budget {
		return fmt.Errorf("%s would need %s, more than the hook's memory budget of %s", what, formatBytes(n), formatBytes(budget))
	}
	return nil
}

// printer bounds the print() output of one call (MaxPrintPerCall) and,
// through the script, of the run (MaxPrintPerRun); past a bound it says
// once that the output was cut, then drops it.
func (s *Script) printer() func(th *starlark.Thread, msg string) {
	var inCall int
	cut := false
	return func(th *starlark.Thread, msg string) {
		if s.opts.Print == nil || cut {
			return
		}
		pos := th.CallFrame(1).Pos.String()
		s.mu.Lock()
		inRun := s.printed
		s.printed += len(msg)
		s.mu.Unlock()
		inCall += len(msg)
		switch {
		case inRun >= MaxPrintPerRun:
			cut = true // said once already, by the call that reached the bound
		case inRun+len(msg) > MaxPrintPerRun:
			cut = true
			s.opts.Print(pos, fmt.Sprintf("(print output cut: the hooks printed more than %s in this run; later output is dropped)", formatBytes(MaxPrintPerRun)))
		case inCall > MaxPrintPerCall:
			cut = true
			s.opts.Print(pos, fmt.Sprintf("(print output cut: this hook call printed more than %s)", formatBytes(MaxPrintPerCall)))
		default:
			s.opts.Print(pos, msg)
		}
	}
}

// formatBytes writes a size in KiB, MiB or GiB.
func formatBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
}
