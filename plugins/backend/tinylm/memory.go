package tinylm

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Memory. Nearly all of tinylm's heap is a few large buffers without pointers, reused from
// call to call: the activations and gradients of training, the KV cache of generation. Go's
// default collector pacing (GOGC=100) lets the heap grow to twice what is live before it
// collects, which for such a heap doubles the resident memory for nothing: the collector
// never scans those buffers, so collecting more often costs little. Two measures keep the
// resident memory near what is live:
//
//   - the two phases of a training step do not hold each other's buffers: Generate drops
//     the training buffers not in use (the free activation sets and the gradient scratch)
//     and Forward and Score drop generation's (the KV cache above all), and each collects
//     them at once, so that one phase's memory is given to the other instead of added to it;
//   - paceGC sets the collector's target to the live heap plus gcHeadroom, or a tenth of it
//     if more (GOGC below 100 once the live heap is large), unless the environment sets
//     GOGC or GOMEMLIMIT, which then rule as usual.

// gcHeadroom is the heap growth allowed between collections once the live heap passes it.
const gcHeadroom = 8 << 20

// gcPercent is the GOGC value paceGC last set; 0 before the first. Several
// backends in one process may pace the collector at once.
var gcPercent atomic.Int64

// paceGC sets GOGC so that the collector runs when the heap has grown by about gcHeadroom
// over the live heap of the last collection, between 10 and the default 100. It leaves the
// collector alone when GOGC or GOMEMLIMIT is set.
func paceGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	pct := 100
	if live := s[0].Value.Uint64(); live > 0 {
		pct = int(min(max(gcHeadroom*100/live, 10), 100))
	}
	if gcPercent.Swap(int64(pct)) != int64(pct) {
		debug.SetGCPercent(pct)
	}
}

// dropTrainBuffers lets the collector take the training buffers that no Forward handle
// holds, and collects them before generation allocates its own.
func (b *Backend) dropTrainBuffers() {
	if b.free == nil && b.m.scratch.dres == nil {
		return
	}
	b.free = nil
	b.m.scratch = scratch{}
	runtime.GC()
}

// dropGenBuffers lets the collector take generation's buffers, the KV cache first, and
// collects them before training allocates its own.
func (m *model) dropGenBuffers() {
	if m.gen.kc == nil {
		return
	}
	m.gen = genBuffers{}
	runtime.GC()
}
