package plugin

import (
	"context"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"sort"
	"testing"
	"time"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
)

// batch8192 is a selector request of 8,192 tokens: 16 responses of 512, with
// entropies, log-probs, advantages and masks.
func batch8192() selector.SelectRequest {
	rng := rand.New(rand.NewPCG(1, 1))
	var req selector.SelectRequest
	for range 16 {
		e, l, a, m := make([]float32, 512), make([]float32, 512), make([]float32, 512), make([]bool, 512)
		for j := range e {
			e[j], l[j], a[j], m[j] = rng.Float32()*3, -rng.Float32()*5, 1, j < 480
		}
		req.Entropies, req.LogProbs, req.Advantages, req.Masks = append(req.Entropies, e), append(req.LogProbs, l), append(req.Advantages, a), append(req.Masks, m)
	}
	return req
}

// BenchmarkSelect8192 is the per-call cost of a selector call on 8,192
// tokens, in the host and through a plugin process. It reports the median
// round trip besides the mean.
func BenchmarkSelect8192(b *testing.B) {
	req := batch8192()
	for _, iso := range []Isolation{Inproc, Process} {
		b.Run(string(iso), func(b *testing.B) {
			in, err := Open(context.Background(), Spec{Kind: pluginapi.KindSelector, Name: "echo", Isolation: iso})
			if err != nil {
				b.Fatal(err)
			}
			defer in.Close()
			sel := in.Selector()
			ctx := context.Background()
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if _, err := sel.Select(ctx, req); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			b.ReportMetric(float64(times[len(times)/2].Microseconds()), "median-µs")
		})
	}
}

// BenchmarkSelect8192SharedVsInline alternates, call by call, the selector
// call of BenchmarkSelect8192 through a plugin process on a connection with
// shared memory and on one without (FORKRL_PLUGIN_SHM=off): the messages
// are below the size from which tensors go through shared memory, so this
// is the cost the shared-memory codec adds to small calls. It reports both
// medians and their ratio.
func BenchmarkSelect8192SharedVsInline(b *testing.B) {
	req := batch8192()
	open := func(env string) *Instance {
		b.Setenv(envShared, env)
		in, err := Open(context.Background(), Spec{Kind: pluginapi.KindSelector, Name: "echo"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = in.Close() })
		return in
	}
	shared, inline := open(""), open("off")
	var times [2][]time.Duration
	for b.Loop() {
		for i, in := range []*Instance{shared, inline} {
			start := time.Now()
			if _, err := in.Selector().Select(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			times[i] = append(times[i], time.Since(start))
		}
	}
	median := func(t []time.Duration) time.Duration {
		sort.Slice(t, func(i, j int) bool { return t[i] < t[j] })
		return t[len(t)/2]
	}
	s, n := median(times[0]), median(times[1])
	b.ReportMetric(float64(s.Microseconds()), "shm-median-µs")
	b.ReportMetric(float64(n.Microseconds()), "inline-median-µs")
	b.ReportMetric(float64(s)/float64(n), "ratio")
}

// BenchmarkTensor64MB sends 64 MiB of float32 (16M values) to a plugin
// process and gets them back; the bytes counted are both directions. The
// plugin is the Go echo or the Python one (testdata/echo.py), the tensors
// cross through shared memory or inline (FORKRL_PLUGIN_SHM=off); with
// -count, the four alternate. A first call, not counted, warms the
// region's pages up (on a long run that is a cost of the first call only);
// it reports the rate of the median round trip besides the mean.
func BenchmarkTensor64MB(b *testing.B) {
	row := make([]float32, 16<<20)
	for i := range row {
		row[i] = float32(i)
	}
	req := selector.SelectRequest{Entropies: [][]float32{row}}
	for _, lang := range []string{"go", "python"} {
		for _, transport := range []string{"shm", "inline"} {
			b.Run(lang+"/"+transport, func(b *testing.B) {
				spec := Spec{Kind: pluginapi.KindSelector, Name: "echo"}
				if lang == "python" {
					spec = pythonEcho(b)
				}
				if transport == "inline" {
					b.Setenv(envShared, "off")
				}
				in, err := Open(context.Background(), spec)
				if err != nil {
					b.Fatal(err)
				}
				defer in.Close()
				call := func() time.Duration {
					start := time.Now()
					if _, err := in.Selector().Select(context.Background(), req); err != nil {
						b.Fatal(err)
					}
					return time.Since(start)
				}
				call() // the first call maps the region's pages
				bytes := 2 * 4 * int64(len(row))
				b.SetBytes(bytes)
				times := make([]time.Duration, 0, b.N)
				for b.Loop() {
					times = append(times, call())
				}
				sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
				b.ReportMetric(float64(bytes)/1e6/times[len(times)/2].Seconds(), "median-MB/s")
				if sent, received := in.SharedTensors(); (transport == "shm") != (sent > 0 && received > 0) {
					b.Fatalf("%s: %d tensors sent and %d received through shared memory", transport, sent, received)
				}
			})
		}
	}
}

// BenchmarkPipe64MB is the ceiling for BenchmarkTensor64MB on the same
// machine: 64 MiB to a child process through a pipe and back, no encoding.
func BenchmarkPipe64MB(b *testing.B) {
	child := exec.Command(os.Args[0], "pipe-echo")
	in, err := child.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := child.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = in.Close(); _ = child.Wait() }()
	data := make([]byte, 64<<20)
	back := make([]byte, len(data))
	b.SetBytes(2 * int64(len(data)))
	for b.Loop() {
		go func() { _, _ = in.Write(data) }()
		if _, err := io.ReadFull(out, back); err != nil {
			b.Fatal(err)
		}
	}
}
