package provenance

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/kernels/gemm"
	"github.com/forkrl/forkrl/kernels/selection"
	"github.com/forkrl/forkrl/kernels/vecmath"
)

func TestSettingsRoundTrip(t *testing.T) {
	settings := []byte("{\n  \"name\": \"quickstart\",\n  \"seed\": 1\n}")
	env := Current()
	with, err := AddToSettings(settings, env)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(with), "{\n  \"name\": \"quickstart\",\n  \"seed\": 1,\n  \"environment\": {") || !json.Valid(with) {
		t.Errorf("settings with the environment:\n%s", with)
	}
	got, ok, err := FromSettings(with)
	if err != nil || !ok || got.KernelPath != env.KernelPath || got.Executable != env.Executable || got.Go != env.Go {
		t.Errorf("FromSettings: %+v %v %v", got, ok, err)
	}
	if _, ok, err := FromSettings(settings); ok || err != nil {
		t.Errorf("settings without an environment: ok %v, err %v", ok, err)
	}
	if _, err := AddToSettings([]byte(`[1]`), env); err == nil {
		t.Error("a JSON list took an environment")
	}
	if empty, err := AddToSettings([]byte(`{}`), env); err != nil || !json.Valid(empty) {
		t.Errorf("an empty object: %s %v", empty, err)
	}
}

func TestKernelPath(t *testing.T) {
	tests := []struct {
		kernels map[string]string
		want    string
	}{
		{map[string]string{"gemm": "avx2", "selection": "avx2", "vecmath": "avx2"}, "amd64/avx2"},
		{map[string]string{"gemm": "go", "selection": "go", "vecmath": "go"}, "amd64/go"},
		{map[string]string{"gemm": "avx2", "selection": "go", "vecmath": "avx2"}, "amd64/gemm=avx2,selection=go,vecmath=avx2"},
	}
	for _, tt := range tests {
		if got := kernelPath("amd64", tt.kernels); got != tt.want {
			t.Errorf("kernelPath(%v) = %q, want %q", tt.kernels, got, tt.want)
		}
	}
	cur := Current()
	if env, ok := ForceEnv(cur.KernelPath); !ok || len(env) != len(cur.Kernels) {
		t.Errorf("the current path %s: environment %q (ok %v)", cur.KernelPath, env, ok)
	}
	if env, ok := forceEnv("amd64", "amd64/go"); !ok || strings.Join(env, " ") != "FORKRL_GEMM=go FORKRL_SELECTION=go FORKRL_VECMATH=go" {
		t.Errorf("the pure-Go path: %q (ok %v)", env, ok)
	}
	for _, want := range []string{
		"riscv64/vector", // another architecture
		"amd64/gemm=go",  // fewer kernel packages than this build has
		"amd64/avx1024",  // a path no package knows
		"amd64/gemm=go,selection=go,vecmath=go,matmul=go", // one this build lacks
	} {
		if env, ok := forceEnv("amd64", want); ok {
			t.Errorf("%s can be forced: %q", want, env)
		}
	}
	if cur.Arch == "amd64" && gemm.CanRun("avx512") && vecmath.CanRun("avx512") && selection.CanRun("avx2") {
		want := "amd64/gemm=avx512,selection=avx2,vecmath=avx2"
		if env, ok := ForceEnv(want); !ok || strings.Join(env, " ") != "FORKRL_GEMM=avx512 FORKRL_SELECTION=avx2 FORKRL_VECMATH=avx2" {
			t.Errorf("%s: %q (ok %v)", want, env, ok)
		}
	}
}
