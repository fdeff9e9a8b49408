package pluginapi

import (
	"testing"
	"unsafe"
)

// TestFramePool checks the sizes FramePool hands out, that it keeps frame
// buffers, and that larger ones come from gRPC's default pool, cleared.
func TestFramePool(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		reuse bool // FramePool keeps buffers of this size itself
	}{
		{"empty", 0, true},
		{"one byte", 1, true},
		{"a frame", frameBytes, true},
		{"more than a frame", frameBytes + 1, false},
		{"a megabyte", 1 << 20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := FramePool.Get(tt.n)
			if len(*b) != tt.n {
				t.Fatalf("Get(%d) gave %d bytes", tt.n, len(*b))
			}
			for i := range *b {
				(*b)[i] = 7
			}
			if !tt.reuse {
				FramePool.Put(b)
				if c := FramePool.Get(tt.n); len(*c) != tt.n || (tt.n > 0 && (*c)[tt.n-1] != 0) {
					t.Errorf("Get(%d) after Put gave %d bytes, last %d; want cleared", tt.n, len(*c), (*c)[tt.n-1])
				}
				return
			}
			if cap(*b) != frameBytes {
				t.Errorf("Get(%d) gave capacity %d, want %d", tt.n, cap(*b), frameBytes)
			}
			// sync.Pool may drop what it is given; one Get in a few tries
			// must return the buffer put back.
			for range 10 {
				FramePool.Put(b)
				c := FramePool.Get(tt.n)
				if unsafe.SliceData(*c) == unsafe.SliceData(*b) {
					return
				}
				b = c
			}
			t.Errorf("Get(%d) never reused a buffer", tt.n)
		})
	}
}
