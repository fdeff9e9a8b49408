package safetensors

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path string, tensors []Tensor) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, tensors, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTripDTypes(t *testing.T) {
	dir := t.TempDir()
	a := []float32{1, -2.5, 3.1415927, 1e-3, 65504, 0}
	write(t, filepath.Join(dir, "model.safetensors"), []Tensor{
		{Name: "a.f32", Shape: []int{2, 3}, Data: a},
		{Name: "a.bf16", Shape: []int{2, 3}, DType: "BF16", Data: a},
	})
	c, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make([]float32, 6)
	if err := c.Read("a.f32", []int{2, 3}, got); err != nil || !equal(got, a) {
		t.Fatalf("F32: %v %v", got, err)
	}
	if err := c.Read("a.bf16", []int{2, 3}, got); err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if d := math.Abs(float64(got[i] - a[i])); d > math.Abs(float64(a[i]))/256 {
			t.Fatalf("BF16 %v read back as %v", a[i], got[i])
		}
	}
	if got[0] != 1 || got[1] != -2.5 {
		t.Fatalf("exact values changed: %v", got)
	}
}

func TestBF16RoundsToNearestEven(t *testing.T) {
	for _, tt := range []struct {
		bits uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // halfway, even stays
		{0x3f818000, 0x3f82}, // halfway, odd rounds up
		{0x3f808001, 0x3f81}, // above halfway
		{0x7f800000, 0x7f80}, // +Inf
	} {
		if got := F32ToBF16(math.Float32frombits(tt.bits)); got != tt.want {
			t.Errorf("F32ToBF16(%#x) = %#x, want %#x", tt.bits, got, tt.want)
		}
	}
	if nan := F32ToBF16(float32(math.NaN())); !math.IsNaN(float64(math.Float32frombits(uint32(nan) << 16))) {
		t.Error("NaN did not stay NaN")
	}
}

func TestF16(t *testing.T) {
	for _, tt := range []struct {
		h    uint16
		want float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 5.9604645e-08}, {0x0000, 0}, {0x3555, 0.33325195},
	} {
		if got := F16ToF32(tt.h); got != tt.want {
			t.Errorf("F16ToF32(%#x) = %v, want %v", tt.h, got, tt.want)
		}
	}
	if !math.IsInf(float64(F16ToF32(0x7c00)), 1) || !math.IsNaN(float64(F16ToF32(0x7e00))) {
		t.Error("Inf/NaN")
	}
}

func TestShards(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "model-00001-of-00002.safetensors"), []Tensor{{Name: "x", Shape: []int{2}, Data: []float32{1, 2}}})
	write(t, filepath.Join(dir, "model-00002-of-00002.safetensors"), []Tensor{{Name: "y", Shape: []int{1}, Data: []float32{3}}})
	idx, _ := json.Marshal(map[string]any{"metadata": map[string]any{}, "weight_map": map[string]string{
		"x": "model-00001-of-00002.safetensors", "y": "model-00002-of-00002.safetensors"}})
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), idx, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	y := make([]float32, 1)
	if err := c.Read("y", []int{1}, y); err != nil || y[0] != 3 {
		t.Fatalf("y = %v, %v", y, err)
	}
	if names := c.Names(); strings.Join(names, ",") != "x,y" {
		t.Fatalf("names %v", names)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "model.safetensors"), []Tensor{{Name: "w", Shape: []int{2, 3}, Data: make([]float32, 6)}})
	c, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tt := range []struct {
		name  string
		shape []int
		want  string
	}{
		{"w", []int{3, 2}, "tensor w has shape [2 3], the configuration needs [3 2]"},
		{"v", []int{1}, "tensor v is missing"},
	} {
		err := c.Read(tt.name, tt.shape, make([]float32, 6))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Read(%s): got %v, want %q", tt.name, err, tt.want)
		}
	}
	// A truncated file and a corrupt header are refused with the file's name.
	bad := filepath.Join(dir, "bad.safetensors")
	os.WriteFile(bad, []byte{1, 0, 0, 0, 0, 0, 0, 0, '{'}, 0o644)
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), "bad.safetensors: bad header") {
		t.Errorf("got %v", err)
	}
	os.WriteFile(bad, []byte{0xff, 0xff, 0, 0, 0, 0, 0, 0, '{'}, 0o644)
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), "exceeds the file") {
		t.Errorf("got %v", err)
	}
	if _, err := OpenDir(t.TempDir()); err == nil {
		t.Error("an empty folder should not open")
	}
}

func FuzzParse(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, []Tensor{{Name: "w", Shape: []int{2}, DType: "BF16", Data: []float32{1, 2}}}, nil)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 8 {
			return
		}
		file, err := parse("fuzz", data)
		if err != nil {
			return
		}
		for _, n := range file.Names() {
			info, _ := file.Info(n)
			if numel(info.Shape) < 0 || numel(info.Shape) > 1<<20 {
				continue
			}
			_ = file.Read(n, info.Shape, make([]float32, numel(info.Shape)))
		}
	})
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
