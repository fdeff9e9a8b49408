// Package seeds derives every random stream of a run from the run's seed by
// name, so that a run is a function of its seed: data order, sampling,
// mini-batch order, selection, each plugin's seed, the hooks' rand module
// and the bootstrap of sweep comparisons.
package seeds

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
)

// Stream derives the seed of a named random stream from a run's seed.
// The name is a path of parts joined by "/", for example
// Stream(seed, "rollout", 12, 0) for the sampling of step 12's first
// batch. The same seed and name give the same stream on every machine; two
// different names give independent streams. A stream that is derived afresh
// from the step number continues unchanged after a resume.
func Stream(runSeed uint64, parts ...any) uint64 {
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
