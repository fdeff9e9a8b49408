package hooks

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.starlark.net/starlark"
)

func TestMemoryBudget(t *testing.T) {
	// Doubling a 1 KiB string 20 times asks for 1 GiB (and 2 GiB allocated
	// in all); the budget is 8 MiB. The heap is read every millisecond, so
	// the call ends a few doublings past its budget on an idle machine
	// (under 256 MiB allocated); on a loaded one the watcher may be
	// scheduled late, so the test asks only that the call ends before its
	// last doubling (under 1 GiB allocated).
	s := mustLoadOpts(t, `
def on_step(metrics):
    s = "x" * 1024
    for i in range(20):
        s = s + s
    return {"length": len(s)}

def reward(sample):
    v = zeros(100000000)
    return 0.0
`, Options{MemoryBudget: 8 << 20})
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	begin := time.Now()
	_, err := s.OnStep(context.Background(), 1, nil)
	t.Logf("stopped after %v", time.Since(begin))
	wantErr(t, err, "hooks.star:5:", "hook on_step:", "more than its memory budget of 8.0 MiB")
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := after.TotalAlloc - before.TotalAlloc
	t.Logf("the call allocated %d MiB before it was stopped", grown>>20)
	if grown >= 1<<30 {
		t.Errorf("the call allocated %d MiB before it was stopped: the watcher did not stop it before its last doubling", grown>>20)
	}
	_, err = s.Reward(context.Background(), 1, Sample{})
	wantErr(t, err, "hooks.star:9:", "zeros(100000000) would need 762.9 MiB, more than the hook's memory budget of 8.0 MiB")
}

func TestPrintIsBounded(t *testing.T) {
	var printed []string
	s := mustLoadOpts(t, `
def on_step(metrics):
    for i in range(2000):
        print("x" * 100)
`, Options{Print: func(_, msg string) { printed = append(printed, msg) }})
	total := func() int {
		n := 0
		for _, m := range printed {
			n += len(m)
		}
		return n
	}
	if _, err := s.OnStep(context.Background(), 1, nil); err != nil {
		t.Fatal(err)
	}
	if n := total(); n > MaxPrintPerCall+200 || !strings.Contains(printed[len(printed)-1], "this hook call printed more than 64.0 KiB") {
		t.Fatalf("one call printed %d bytes, last line %q", n, printed[len(printed)-1])
	}
	for step := 2; step <= 80; step++ {
		if _, err := s.OnStep(context.Background(), step, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := total(); n > MaxPrintPerRun+200 || !strings.Contains(printed[len(printed)-1], "printed more than 4.0 MiB in this run") {
		t.Fatalf("80 calls printed %d bytes, last line %q", n, printed[len(printed)-1])
	}
}

// BenchmarkCallOverhead: one call of a reward hook that does nothing, so
// that what a call costs around the hook (its thread, its budgets) shows;
// in parallel, as rewards of a step are computed.
func BenchmarkCallOverhead(b *testing.B) {
	s := mustLoadOpts(b, "def reward(sample):\n    return 1.0\n", Options{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Reward(context.Background(), 0, Sample{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestWatchIsCheapPerCall: the memory budgets of many running calls cost
// no goroutine each (one watcher serves them all), and the watcher forgets
// a call once it returns.
func TestWatchIsCheapPerCall(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stops []func()
	for range 100 {
		stops = append(stops, watch(ctx, &starlark.Thread{}, DefaultMemoryBudget))
	}
	if n := runtime.NumGoroutine() - before; n > 1 {
		t.Errorf("100 watched calls started %d goroutines, want at most the one watcher", n)
	}
	for _, stop := range stops {
		stop()
	}
	memory.mu.Lock()
	left := len(memory.calls)
	memory.mu.Unlock()
	if left != 0 {
		t.Errorf("%d calls still watched after they returned", left)
	}
}
