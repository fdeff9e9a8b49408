package plugin

import (
	"testing"
	"time"
)

func TestZZPut(t *testing.T) {
	host, err := newHostSharedMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer host.close()
	host.attached.Store(true)
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i)
	}
	for i := 0; i < 4; i++ {
		start := time.Now()
		off, ok := host.put(data)
		d := time.Since(start)
		*host.word(host.own + off - 64) = 0
		start = time.Now()
		b := make([]byte, 64<<20)
		copy(b, data)
		t.Logf("put %v (%v), make+copy %v", d, ok, time.Since(start))
	}
}
