package pluginapi

import (
	"sync"

	"google.golang.org/grpc/mem"
)

// FramePool is the gRPC buffer pool of plugin connections (install it with
// experimental.WithBufferPool and experimental.BufferPool). It is gRPC's
// default pool except for buffers of up to one HTTP/2 frame (16 KiB), which
// it hands out without clearing them first: gRPC reads every received frame
// whole into such a buffer, and the default pool's clearing of 4,096 of them
// per 64 MiB tensor costs as much as a copy of the tensor.
var FramePool mem.BufferPool = &framePool{}

// frameBytes is the size of the buffers that FramePool keeps: gRPC's
// largest HTTP/2 frame.
const frameBytes = 16 << 10

// framePool implements FramePool.
type framePool struct{ frames sync.Pool }

// Get returns a buffer of n bytes; one of up to frameBytes is not cleared.
func (p *framePool) Get(n int) *[]byte {
	if n > frameBytes {
		return mem.DefaultBufferPool().Get(n)
	}
	if b, ok := p.frames.Get().(*[]byte); ok {
		*b = (*b)[:n]
		return b
	}
	b := make([]byte, n, frameBytes)
	return &b
}

// Put returns b to the pool.
func (p *framePool) Put(b *[]byte) {
	if cap(*b) == frameBytes {
		p.frames.Put(b)
		return
	}
	mem.DefaultBufferPool().Put(b)
}
