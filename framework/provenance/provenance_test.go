package provenance

import (
	"encoding/json"
	"strings"
	"testing"
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
	without, err := WithoutEnvironment(with)
	if err != nil || strings.Contains(string(without), SettingsKey) || !strings.Contains(string(without), `"seed":1`) {
		t.Errorf("WithoutEnvironment: %s %v", without, err)
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
	avx512 := map[string]string{"gemm": "avx512", "selection": "avx2", "vecmath": "avx2"}
	for want, opts := range map[string]string{
		"amd64/gemm=avx512,selection=avx2,vecmath=avx2": "",
		"amd64/avx2": "cpu.avx512f=off",
		"amd64/go":   "cpu.avx2=off,cpu.fma=off",
	} {
		if got, ok := godebugFor("amd64", avx512, want); !ok || got != opts {
			t.Errorf("from the AVX-512 GEMM path to %s: GODEBUG %q (ok %v), want %q", want, got, ok, opts)
		}
	}
	if _, ok := godebugFor("amd64", map[string]string{"gemm": "avx2", "selection": "avx2", "vecmath": "avx2"}, "amd64/gemm=avx512,selection=avx2,vecmath=avx2"); ok {
		t.Error("GODEBUG turned the AVX-512 path on")
	}
	cur := Current()
	if opts, ok := GODEBUGFor(cur.KernelPath); !ok || opts != "" {
		t.Errorf("the current path needs GODEBUG %q (ok %v)", opts, ok)
	}
	if _, ok := GODEBUGFor("riscv64/vector"); ok {
		t.Error("a path of another architecture can be chosen")
	}
	if cur.Arch == "amd64" {
		if opts, ok := GODEBUGFor("amd64/go"); !ok || (cur.KernelPath != "amd64/go" && opts != "cpu.avx2=off,cpu.fma=off") {
			t.Errorf("the pure-Go path: %q %v", opts, ok)
		}
	}
}
