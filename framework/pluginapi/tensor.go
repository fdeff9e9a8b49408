package pluginapi

import (
	"encoding/binary"
	"fmt"
	"math"

	pb "github.com/forkrl/forkrl/framework/proto/forkrl/v1"
)

// Element is a Go type that travels as a tensor element.
type Element interface {
	float32 | float64 | int32 | int64 | bool
}

// DTypeOf returns the wire dtype of T.
func DTypeOf[T Element]() pb.DType {
	var z T
	switch any(z).(type) {
	case float32:
		return pb.DType_DTYPE_FLOAT32
	case float64:
		return pb.DType_DTYPE_FLOAT64
	case int32:
		return pb.DType_DTYPE_INT32
	case int64:
		return pb.DType_DTYPE_INT64
	default:
		return pb.DType_DTYPE_BOOL
	}
}

// dtypeSize is the number of bytes of one element.
func dtypeSize(d pb.DType) int {
	switch d {
	case pb.DType_DTYPE_FLOAT32, pb.DType_DTYPE_INT32:
		return 4
	case pb.DType_DTYPE_FLOAT64, pb.DType_DTYPE_INT64:
		return 8
	case pb.DType_DTYPE_BOOL:
		return 1
	}
	return 0
}

// EncodeTensor packs a flat slice into a one-dimensional tensor.
func EncodeTensor[T Element](v []T) *pb.Tensor {
	d := DTypeOf[T]()
	data := make([]byte, len(v)*dtypeSize(d))
	putElements(data, v)
	return &pb.Tensor{Dtype: d, Shape: []int64{int64(len(v))}, Data: data}
}

// putElements writes v into data as little-endian bytes.
func putElements[T Element](data []byte, v []T) {
	switch s := any(v).(type) {
	case []float32:
		for i, x := range s {
			binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(x))
		}
	case []float64:
		for i, x := range s {
			binary.LittleEndian.PutUint64(data[8*i:], math.Float64bits(x))
		}
	case []int32:
		for i, x := range s {
			binary.LittleEndian.PutUint32(data[4*i:], uint32(x))
		}
	case []int64:
		for i, x := range s {
			binary.LittleEndian.PutUint64(data[8*i:], uint64(x))
		}
	case []bool:
		for i, x := range s {
			if x {
				data[i] = 1
			}
		}
	}
}

// DecodeTensor unpacks a tensor of any shape into a flat slice of T. It
// fails when the dtype is not T's or the data does not match the shape.
func DecodeTensor[T Element](t *pb.Tensor) ([]T, error) {
	want := DTypeOf[T]()
	if t.GetDtype() != want {
		return nil, fmt.Errorf("tensor has dtype %s, want %s", t.GetDtype(), want)
	}
	n := int64(1)
	for _, d := range t.GetShape() {
		if d < 0 {
			return nil, fmt.Errorf("tensor has a negative dimension in shape %v", t.GetShape())
		}
		n *= d
	}
	size := int64(dtypeSize(want))
	if int64(len(t.GetData())) != n*size {
		return nil, fmt.Errorf("tensor of shape %v and dtype %s needs %d bytes, has %d", t.GetShape(), want, n*size, len(t.GetData()))
	}
	data := t.GetData()
	out := make([]T, n)
	switch s := any(out).(type) {
	case []float32:
		for i := range s {
			s[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case []float64:
		for i := range s {
			s[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
	case []int32:
		for i := range s {
			s[i] = int32(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case []int64:
		for i := range s {
			s[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
		}
	case []bool:
		for i := range s {
			s[i] = data[i] != 0
		}
	}
	return out, nil
}

// EncodeRagged packs rows of different lengths: the rows concatenated, and
// their lengths. A nil batch encodes as nil (absent), an empty one as an
// empty Ragged.
func EncodeRagged[T Element](rows [][]T) *pb.Ragged {
	if rows == nil {
		return nil
	}
	total := 0
	lengths := make([]int64, len(rows))
	for i, r := range rows {
		total += len(r)
		lengths[i] = int64(len(r))
	}
	d := DTypeOf[T]()
	size := dtypeSize(d)
	data := make([]byte, total*size)
	off := 0
	for _, r := range rows {
		putElements(data[off:], r)
		off += len(r) * size
	}
	return &pb.Ragged{Values: &pb.Tensor{Dtype: d, Shape: []int64{int64(total)}, Data: data}, Lengths: lengths}
}

// DecodeRagged unpacks rows packed by EncodeRagged; the rows share one
// backing array. An absent Ragged decodes as nil.
func DecodeRagged[T Element](r *pb.Ragged) ([][]T, error) {
	if r == nil {
		return nil, nil
	}
	flat, err := DecodeTensor[T](r.GetValues())
	if err != nil {
		return nil, err
	}
	rows := make([][]T, len(r.GetLengths()))
	off := int64(0)
	for i, n := range r.GetLengths() {
		if n < 0 || off+n > int64(len(flat)) {
			return nil, fmt.Errorf("ragged lengths do not match its %d values (row %d has length %d at offset %d)", len(flat), i, n, off)
		}
		rows[i] = flat[off : off+n : off+n]
		off += n
	}
	if off != int64(len(flat)) {
		return nil, fmt.Errorf("ragged lengths sum to %d, but it has %d values", off, len(flat))
	}
	return rows, nil
}
