package torch

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
)

// TestLargeTensorsThroughSharedMemory: token ids of more than 1 MiB come
// back from the torch backend (Encode) and go to it (Decode) through the
// plugin connection's shared memory, and are what they are inline: the
// character tokenizer's ids (the alphabet's indices), and the texts they
// came from. (framework/plugin's tests compare the two transports bit for
// bit through the same Python scaffolding; opening a second torch backend
// here would cost seconds for no more.)
func TestLargeTensorsThroughSharedMemory(t *testing.T) {
	needTorch(t)
	s := shapes[0]
	in, diags := openTorch(t, pluginapi.Settings{"checkpoint": randomCheckpoint(t, s, 1)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	texts := make([]string, 4)
	for i := range texts {
		var b strings.Builder
		for range 80_000 + i {
			b.WriteByte(s.alphabet[rng.IntN(len(s.alphabet))])
		}
		texts[i] = b.String()
	}
	ctx := context.Background()
	enc, err := in.Backend().Encode(ctx, backend.EncodeRequest{Texts: texts})
	if err != nil || enc.Diagnostics.HasErrors() {
		t.Fatalf("Encode: %v %v", err, enc.Diagnostics)
	}
	if len(enc.IDs) != len(texts) {
		t.Fatalf("Encode: %d rows for %d texts", len(enc.IDs), len(texts))
	}
	for i, ids := range enc.IDs {
		if len(ids) != len(texts[i]) {
			t.Fatalf("text %d: %d ids for %d characters", i, len(ids), len(texts[i]))
		}
		for j, id := range ids {
			if want := int32(strings.IndexByte(s.alphabet, texts[i][j])); id != want {
				t.Fatalf("text %d character %d: id %d, want %d", i, j, id, want)
			}
		}
	}
	dec, err := in.Backend().Decode(ctx, backend.DecodeRequest{IDs: enc.IDs})
	if err != nil || dec.Diagnostics.HasErrors() {
		t.Fatalf("Decode: %v %v", err, dec.Diagnostics)
	}
	for i := range texts {
		if i >= len(dec.Texts) || dec.Texts[i] != texts[i] {
			t.Fatalf("Decode did not give back text %d (%d texts back)", i, len(dec.Texts))
		}
	}
	if sent, received := in.SharedTensors(); sent != 1 || received != 1 {
		t.Errorf("tensors through shared memory: %d sent (Decode), %d received (Encode); want 1 and 1", sent, received)
	}
}
