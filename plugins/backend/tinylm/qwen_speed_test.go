package tinylm

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/forkrl/forkrl/formats/gguf/llamacpp"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
)

// Qwen3-0.6B's shape, with random weights: the speed comparison with
// llama.cpp. Run it with
//
//	FORKRL_QWEN_BENCH=1 go test -run '^$' -bench Qwen06B -benchtime 3x -timeout 60m ./plugins/backend/tinylm
//
// It writes a Hugging Face folder (bf16 weights, 1.2 GB) and a GGUF export
// (F32, 2.4 GB) to a temporary folder and needs about 8 GB of memory.
var qwen06B = qwen3Config(1024, 3072, 28, 16, 8, 128, 512)

const (
	speedPrompt = 128 // prompt tokens of the prefill
	speedGen    = 32  // generated tokens
)

// BenchmarkQwen06B times tinylm and llama.cpp on the same Qwen3-0.6B-shaped
// weights: prefill of a 128-token prompt and greedy generation of 32 tokens,
// on one and on two threads.
func BenchmarkQwen06B(b *testing.B) {
	if os.Getenv("FORKRL_QWEN_BENCH") == "" {
		b.Skip("set FORKRL_QWEN_BENCH=1 to run the Qwen3-0.6B speed comparison (8 GB of memory, minutes)")
	}
	dir, _ := writeHFFolder(b, qwen06B)
	be := New()
	resp, err := be.Configure(context.Background(), pluginapi.ConfigureRequest{Settings: pluginapi.Settings{"checkpoint": dir}})
	if err != nil || resp.Diagnostics.HasErrors() {
		b.Fatalf("configure: %v %v", err, resp.Diagnostics.Err())
	}
	model := exportGGUF(b, be.m)
	for _, threads := range []int{1, 2} {
		b.Run("tinylm/threads="+strconv.Itoa(threads), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
			r := rand.New(rand.NewPCG(1, 2))
			prompt := make([]int32, speedPrompt)
			for i := range prompt {
				prompt[i] = int32(r.IntN(256))
			}
			gen := func(max int) time.Duration {
				start := time.Now()
				resp, err := be.Generate(context.Background(), backend.GenerateRequest{
					Prompts: [][]int32{prompt}, N: 1, Sampling: backend.Sampling{Temperature: 0, MaxTokens: max}})
				if err != nil || resp.Diagnostics.HasErrors() {
					b.Fatalf("generate: %v %v", err, resp.Diagnostics.Err())
				}
				return time.Since(start)
			}
			var prefill, decode time.Duration
			for b.Loop() {
				one := gen(1) // the prefill and one token
				all := gen(speedGen)
				prefill += one
				decode += all - one
			}
			b.ReportMetric(float64(b.N*(speedPrompt))/prefill.Seconds(), "prefill-tok/s")
			b.ReportMetric(float64(b.N*(speedGen-1))/decode.Seconds(), "gen-tok/s")
		})
		b.Run("llamacpp/threads="+strconv.Itoa(threads), func(b *testing.B) {
			var prefill, gen float64
			for b.Loop() {
				s := llamacpp.MeasureSpeed(b, model, threads, speedPrompt, speedGen)
				prefill += s.PrefillTPS
				gen += s.GenTPS
			}
			b.ReportMetric(prefill/float64(b.N), "prefill-tok/s")
			b.ReportMetric(gen/float64(b.N), "gen-tok/s")
		})
	}
}
