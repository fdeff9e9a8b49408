package run

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
)

// StreamSeed derives the seed of a named random stream from a run's seed.
// The name is a path of parts joined by "/", for example
// StreamSeed(seed, "rollout", 12, 0) for the sampling of step 12's first
// batch. The same seed and name give the same stream on every machine; two
// different names give independent streams. A stream that is derived afresh
// from the step number continues unchanged after a resume.
func StreamSeed(runSeed uint64, parts ...any) uint64 {
	names := make([]string, len(parts))
	for i, p := range parts {
		names[i] = fmt.Sprint(p)
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], runSeed)
	h := sha256.New()
	h.Write(b[:])
	h.Write([]byte(strings.Join(names, "/")))
	return binary.LittleEndian.Uint64(h.Sum(nil))
}
