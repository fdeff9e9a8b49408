package pluginapi

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	pb "github.com/forkrl/forkrl/framework/proto/forkrl/v1"
)

func roundTrip[T Element](t *testing.T, rows [][]T) {
	t.Helper()
	got, err := DecodeRagged[T](EncodeRagged(rows))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("round trip of %v gave %v", rows, got)
	}
}

// TestRaggedRoundTrip runs with the memory-copy path of little-endian
// machines and with the portable conversion of the others.
func TestRaggedRoundTrip(t *testing.T) {
	native := littleEndian
	defer func() { littleEndian = native }()
	for _, le := range []bool{true, false} {
		littleEndian = le
		testRaggedRoundTrip(t)
		TestTensorIsLittleEndian(t)
	}
}

func testRaggedRoundTrip(t *testing.T) {
	roundTrip(t, [][]float32{{1.5, float32(math.Inf(-1)), -0}, {}, {math.MaxFloat32}})
	roundTrip(t, [][]float64{{math.Pi}, {-1e300, 5e-324}})
	roundTrip(t, [][]int32{{math.MinInt32, 0, math.MaxInt32}})
	roundTrip(t, [][]int64{{math.MinInt64}, {}, {math.MaxInt64, 7}})
	roundTrip(t, [][]bool{{true, false, true}, {}})
	roundTrip(t, [][]float32{})
	if r := EncodeRagged[float32](nil); r != nil {
		t.Errorf("nil batch encodes as %v, want absent", r)
	}
	if rows, err := DecodeRagged[float32](nil); rows != nil || err != nil {
		t.Errorf("absent Ragged decodes as %v, %v", rows, err)
	}
}

func TestTensorIsLittleEndian(t *testing.T) {
	got := EncodeTensor([]float32{1}).GetData() // 0x3f800000
	if want := []byte{0, 0, 0x80, 0x3f}; !reflect.DeepEqual(got, want) {
		t.Errorf("float32 1 encodes as % x, want % x", got, want)
	}
	got = EncodeTensor([]int32{-2}).GetData()
	if want := []byte{0xfe, 0xff, 0xff, 0xff}; !reflect.DeepEqual(got, want) {
		t.Errorf("int32 -2 encodes as % x, want % x", got, want)
	}
}

func TestDecodeRefusesMalformed(t *testing.T) {
	f32 := EncodeTensor([]float32{1, 2, 3})
	tests := []struct {
		name string
		r    *pb.Ragged
		want string
	}{
		{"wrong dtype", &pb.Ragged{Values: EncodeTensor([]int32{1}), Lengths: []int64{1}}, "dtype DTYPE_INT32, want DTYPE_FLOAT32"},
		{"short data", &pb.Ragged{Values: &pb.Tensor{Dtype: f32.Dtype, Shape: []int64{4}, Data: f32.Data}, Lengths: []int64{4}}, "needs 16 bytes, has 12"},
		{"negative shape", &pb.Ragged{Values: &pb.Tensor{Dtype: f32.Dtype, Shape: []int64{-1}}}, "negative dimension"},
		{"lengths too long", &pb.Ragged{Values: f32, Lengths: []int64{2, 2}}, "do not match"},
		{"lengths too short", &pb.Ragged{Values: f32, Lengths: []int64{2}}, "sum to 2, but it has 3"},
		{"negative length", &pb.Ragged{Values: f32, Lengths: []int64{-1, 4}}, "do not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRagged[float32](tt.r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func BenchmarkEncodeDecodeRagged(b *testing.B) {
	rows := [][]float32{make([]float32, 16<<20)}
	b.SetBytes(4 << 24)
	for b.Loop() {
		if _, err := DecodeRagged[float32](EncodeRagged(rows)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEncodeRaggedAliasesOneRow checks that a batch with one non-empty row
// is sent from the row's memory, and a batch of several from a copy.
func TestEncodeRaggedAliasesOneRow(t *testing.T) {
	if !littleEndian {
		t.Skip("rows are converted, never aliased, on a big-endian machine")
	}
	row := []float32{1, 2, 3}
	tests := []struct {
		name  string
		rows  [][]float32
		alias bool
	}{
		{"one row", [][]float32{row}, true},
		{"one row among empty ones", [][]float32{{}, row, nil}, true},
		{"two rows of one array", [][]float32{row[:1], row[1:]}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := EncodeRagged(tt.rows).GetValues().GetData()
			if got := unsafe.SliceData(data) == (*byte)(unsafe.Pointer(&row[0])); got != tt.alias {
				t.Errorf("data aliases the row: %v, want %v", got, tt.alias)
			}
		})
	}
}
