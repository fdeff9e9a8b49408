package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/internal/digest"
	"github.com/forkrl/forkrl/kernels/gemm"
	"github.com/forkrl/forkrl/kernels/selection"
	"github.com/forkrl/forkrl/kernels/vecmath"

	"github.com/forkrl/forkrl/framework/bundle"
	"github.com/forkrl/forkrl/framework/provenance"
)

// smallRun trains testdata/bundle/small.hcl (3 steps of the base model on a
// JSONL file), copied with its data into a temporary folder, and returns
// the folder and the run directory. Every path its settings name is absolute.
func smallRun(t *testing.T) (root, dir string) {
	t.Helper()
	root = t.TempDir()
	for _, name := range []string{"small.hcl", "problems.jsonl"} {
		b, err := os.ReadFile(filepath.Join("testdata", "bundle", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ckpt, err := filepath.Abs(filepath.Join("..", "..", "checkpoints", "base-countdown"))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := runCommand([]string{"--out", filepath.Join(root, "runs"), "--var", "checkpoint=" + ckpt, filepath.Join(root, "small.hcl")}, &stdout, &stderr); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr.String())
	}
	return root, filepath.Join(root, "runs", "small")
}

// forkrlBundle runs `forkrl bundle ARGS` in this process.
func forkrlBundle(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = bundleCommand(args, &o, &e)
	return code, o.String(), e.String()
}

func TestBundlePackVerifyReplay(t *testing.T) {
	root, dir := smallRun(t)
	plain := filepath.Join(root, "small.tar.zst")
	withData := filepath.Join(root, "small-data.tar.zst")
	if code, out, errs := forkrlBundle("pack", dir, "-o", plain); code != 0 || !strings.Contains(out, "packed") {
		t.Fatalf("pack: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := forkrlBundle("pack", "--with-data", "--with-checkpoints", "last", "-o", withData, dir); code != 0 {
		t.Fatalf("pack --with-data: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := forkrlBundle("verify", plain)
	if code != 0 || !strings.Contains(out, "all 9 files match") || !strings.Contains(out, "kernel path "+provenance.Current().KernelPath) {
		t.Errorf("verify: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := forkrlBundle("inspect", withData); code != 0 || !strings.Contains(out, "data/countdown/0-problems.jsonl") || !strings.Contains(out, "run/checkpoints/step-000003/") {
		t.Errorf("inspect: exit %d\n%s%s", code, out, errs)
	}

	t.Run("replay gives identical metrics", func(t *testing.T) {
		code, out, errs := forkrlBundle("replay", "--out", filepath.Join(root, "replay"), plain)
		if code != 0 || !strings.HasPrefix(out, "identical: ") {
			t.Errorf("replay: exit %d\n%s%s", code, out, errs)
		}
		code, out, errs = forkrlBundle("diff", dir, filepath.Join(root, "replay", "run"))
		if code != 0 || !strings.Contains(out, "pass_at_k") || !strings.Contains(out, "actor/pg_loss") {
			t.Errorf("diff: exit %d\n%s%s", code, out, errs)
		}
	})

	t.Run("verify names the file a flipped byte hits", func(t *testing.T) {
		good, _ := os.ReadFile(plain)
		c, err := bundle.Read(plain)
		if err != nil {
			t.Fatal(err)
		}
		idx := -1
		for i, f := range c.Manifest.Files {
			if f.Path == "run/metrics.jsonl" {
				idx = i
			}
		}
		// Each entry is a zstd frame of its own: the manifest's, then the files'.
		var starts []int
		for i := 0; i+4 <= len(good); i++ {
			if bytes.Equal(good[i:i+4], []byte{0x28, 0xb5, 0x2f, 0xfd}) {
				starts = append(starts, i)
			}
		}
		at := (starts[idx+1] + starts[idx+2]) / 2
		bad := bytes.Clone(good)
		bad[at] ^= 0x01
		damaged := filepath.Join(root, "damaged.tar.zst")
		os.WriteFile(damaged, bad, 0o644)
		code, out, errs := forkrlBundle("verify", damaged)
		if code != 1 || !strings.Contains(errs, "run/metrics.jsonl") {
			t.Errorf("verify of a damaged bundle: exit %d\n%s%s", code, out, errs)
		}
	})

	t.Run("a signed bundle verifies with its key only", func(t *testing.T) {
		alice, mallory := filepath.Join(root, "alice"), filepath.Join(root, "mallory")
		for _, k := range []string{alice, mallory} {
			if code, out, errs := forkrlBundle("keygen", k); code != 0 {
				t.Fatalf("keygen: exit %d\n%s%s", code, out, errs)
			}
		}
		signed := filepath.Join(root, "signed.tar.zst")
		if code, out, errs := forkrlBundle("pack", "--sign", alice+".key", "-o", signed, dir); code != 0 {
			t.Fatalf("pack --sign: exit %d\n%s%s", code, out, errs)
		}
		if code, out, errs := forkrlBundle("verify", "--key", alice+".pub", signed); code != 0 || !strings.Contains(out, "signature good") {
			t.Errorf("verify with the signer's key: exit %d\n%s%s", code, out, errs)
		}
		if code, out, errs := forkrlBundle("verify", "--key", mallory+".pub", signed); code != 1 || !strings.Contains(errs, "signature does not match") {
			t.Errorf("verify with another key: exit %d\n%s%s", code, out, errs)
		}
		if code, out, errs := forkrlBundle("verify", "--key", alice+".pub", plain); code != 1 || !strings.Contains(errs, "not signed") {
			t.Errorf("verify of an unsigned bundle with a key: exit %d\n%s%s", code, out, errs)
		}
	})

	t.Run("replay refuses edited data, naming the file", func(t *testing.T) {
		data := filepath.Join(root, "problems.jsonl")
		b, _ := os.ReadFile(data)
		os.WriteFile(data, bytes.Replace(b, []byte(`13*(18-15)`), []byte(`(18-15)*13`), 1), 0o644)
		code, out, errs := forkrlBundle("replay", "--out", filepath.Join(root, "refused"), plain)
		if code != 1 || !strings.Contains(errs, "refused: file "+data) {
			t.Errorf("replay with edited data: exit %d\n%s%s", code, out, errs)
		}
		if left, _ := filepath.Glob(filepath.Join(root, "refused", "*")); len(left) > 0 {
			t.Errorf("a refused replay left %v behind", left)
		}
		// The bundle that carries its data replays all the same.
		code, out, errs = forkrlBundle("replay", "--out", filepath.Join(root, "carried"), withData)
		if code != 0 || !strings.HasPrefix(out, "identical: ") {
			t.Errorf("replay of a bundle with its data: exit %d\n%s%s", code, out, errs)
		}
	})
}

// TestBundleReplayOnAnotherKernelPath replays a run made with the AVX2 (or
// AVX2 and AVX-512) kernels in a process whose kernels take the pure-Go path (GODEBUG turns
// AVX2 off, as on a CPU without it) with --kernels here: the values part, and the tolerance
// report says where and by how much.
func TestBundleReplayOnAnotherKernelPath(t *testing.T) {
	p := provenance.Current().KernelPath
	if !strings.HasPrefix(p, "amd64/") || p == "amd64/go" {
		t.Skipf("this process takes kernel path %s; the test needs assembly on amd64 to switch from", p)
	}
	root, dir := smallRun(t)
	file := filepath.Join(root, "small.tar.zst")
	if code, out, errs := forkrlBundle("pack", dir, "-o", file); code != 0 {
		t.Fatalf("pack: exit %d\n%s%s", code, out, errs)
	}
	replay := func(args ...string) (int, string) {
		cmd := exec.Command(os.Args[0], append([]string{"bundle", "replay", "--kernels", "here", "--steps", "1"}, args...)...)
		cmd.Env = append(os.Environ(), "GODEBUG=cpu.avx2=off,cpu.fma=off")
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	code, out := replay("--out", filepath.Join(root, "go"), file)
	if code != 1 || !strings.Contains(out, "kernel path "+p+", this replay takes amd64/go") ||
		!strings.Contains(out, "tolerance report") || !strings.Contains(out, "the runs part at step") {
		t.Errorf("replay on the pure-Go path: exit %d\n%s", code, out)
	}
}

// TestBundleReplayTakesTheRecordedKernelPath replays a run made on another
// kernel path (forced by the kernels' variables in a child process: the
// AVX2 softmax beside the AVX-512 GEMM where the CPU has AVX-512, a mix no
// GODEBUG option gives, else the pure-Go kernels) with --kernels recorded:
// the replay re-executes itself with the variables that take that path, and
// every value is identical.
func TestBundleReplayTakesTheRecordedKernelPath(t *testing.T) {
	here := provenance.Current().KernelPath
	if !strings.HasPrefix(here, "amd64/") || here == "amd64/go" {
		t.Skipf("this process takes kernel path %s; the test needs assembly on amd64 to switch from", here)
	}
	force, recorded := []string{"FORKRL_GEMM=go", "FORKRL_SELECTION=go", "FORKRL_VECMATH=go"}, "amd64/go"
	if vecmath.Impl == "avx512" && gemm.Impl == "avx512" && selection.Impl == "avx2" {
		force, recorded = []string{"FORKRL_VECMATH=avx2"}, "amd64/gemm=avx512,selection=avx2,vecmath=avx2"
	}
	root, _ := smallRun(t) // the recipe and its data; its run is left aside
	ckpt, err := filepath.Abs(filepath.Join("..", "..", "checkpoints", "base-countdown"))
	if err != nil {
		t.Fatal(err)
	}
	run := exec.Command(os.Args[0], "run", "--out", filepath.Join(root, "other"), "--var", "checkpoint="+ckpt, filepath.Join(root, "small.hcl"))
	run.Env = append(append(os.Environ(), actAsForkrl+"=1"), force...)
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("run with %s: %v\n%s", force, err, out)
	}
	file := filepath.Join(root, "other.tar.zst")
	if code, out, errs := forkrlBundle("pack", filepath.Join(root, "other", "small"), "-o", file); code != 0 {
		t.Fatalf("pack: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := forkrlBundle("replay", "--steps", "1", "--out", filepath.Join(root, "replay"), file)
	want := "the run took kernel path " + recorded + ", this process " + here + ": re-running with "
	if code != 0 || !strings.Contains(errs, want) || !strings.Contains(out, "identical") {
		t.Errorf("replay with --kernels recorded: exit %d, want a line starting %q\n%s%s", code, want, out, errs)
	}
}

// TestBundleCarriesAnExternalPlugin packs a run whose selector is the
// example external plugin (built here from examples/selector-plugin): the
// bundle holds its executable and its Go sources, and replays to identical
// values from the bundled executable once the original is gone.
func TestBundleCarriesAnExternalPlugin(t *testing.T) {
	root := t.TempDir()
	exe := filepath.Join(root, "selector-plugin")
	build := exec.Command("go", "build", "-o", exe, "../../examples/selector-plugin")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the example plugin: %v\n%s", err, out)
	}
	sum, err := digest.File(exe)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("testdata", "bundle", "small.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	builtin := "selector \"top\" \"forks\" {\n  rho       = 0.2\n  isolation = \"inproc\"\n}"
	external := "selector \"signed_forks\" \"forks\" {\n  source = \"selector-plugin\"\n  sha256 = \"" + sum + "\"\n  rho    = 0.2\n}"
	if !strings.Contains(string(src), builtin) {
		t.Fatal("testdata/bundle/small.hcl has no built-in selector block to replace")
	}
	os.WriteFile(filepath.Join(root, "ext.hcl"), []byte(strings.Replace(string(src), builtin, external, 1)), 0o644)
	data, _ := os.ReadFile(filepath.Join("testdata", "bundle", "problems.jsonl"))
	os.WriteFile(filepath.Join(root, "problems.jsonl"), data, 0o644)
	ckpt, _ := filepath.Abs(filepath.Join("..", "..", "checkpoints", "base-countdown"))
	var stdout, stderr bytes.Buffer
	if code := runCommand([]string{"--out", filepath.Join(root, "runs"), "--var", "checkpoint=" + ckpt, filepath.Join(root, "ext.hcl")}, &stdout, &stderr); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr.String())
	}
	file := filepath.Join(root, "ext.tar.zst")
	if code, out, errs := forkrlBundle("pack", filepath.Join(root, "runs", "ext"), "-o", file); code != 0 {
		t.Fatalf("pack: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := forkrlBundle("inspect", file)
	for _, want := range []string{`plugin: selector signed_forks "forks": signed_forks 0.1.0, protocol 1, ` + exe, "plugins/selector-forks/selector-plugin", "plugins/selector-forks/src/main.go"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("inspect: exit %d, want %q in\n%s%s", code, want, out, errs)
		}
	}
	os.Remove(exe)
	code, out, errs = forkrlBundle("replay", "--out", filepath.Join(root, "replay"), file)
	if code != 0 || !strings.HasPrefix(out, "identical: ") {
		t.Errorf("replay from the bundled plugin: exit %d\n%s%s", code, out, errs)
	}
}
