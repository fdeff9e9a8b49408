package pluginapi

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

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

// EncodeTensor packs a flat slice into a one-dimensional tensor. On a
// little-endian machine the tensor's data is v's memory, not a copy: v must
// not change until the message has been sent.
func EncodeTensor[T Element](v []T) *pb.Tensor {
	d := DTypeOf[T]()
	t := &pb.Tensor{Dtype: d, Shape: []int64{int64(len(v))}}
	if littleEndian {
		t.Data = bytesOf(v)
	} else {
		t.Data = make([]byte, len(v)*dtypeSize(d))
		putElements(t.Data, v)
	}
	return t
}

// littleEndian is whether this machine stores numbers little-endian, as the
// wire does: then elements are copied as memory, without conversion.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// bytesOf is the memory of v as bytes.
func bytesOf[T Element](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(z)))
}

// putElements writes v into data as little-endian bytes.
func putElements[T Element](data []byte, v []T) {
	if littleEndian {
		copy(data, bytesOf(v)) // bools are stored as 0 and 1 bytes, as the wire wants
		return
	}
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
// fails when the dtype is not T's or the data does not match the shape. On a
// little-endian machine, when t's data is aligned for T, the result is t's
// data itself, not a copy: t must not be used afterwards.
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
	var z T
	if _, isBool := any(z).(bool); littleEndian && !isBool && n > 0 {
		if p := unsafe.Pointer(&data[0]); uintptr(p)%unsafe.Alignof(z) == 0 {
			return unsafe.Slice((*T)(p), n), nil
		}
		out := make([]T, n)
		copy(bytesOf(out), data)
		return out, nil
	}
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
// empty Ragged. A batch with one non-empty row is sent from that row's
// memory without a copy (see EncodeTensor); rows of several are copied into
// one buffer, since Go cannot tell whether rows that lie back to back in
// memory belong to one allocation (and a tensor that spanned two would keep
// only the first alive).
func EncodeRagged[T Element](rows [][]T) *pb.Ragged {
	if rows == nil {
		return nil
	}
	total := 0
	lengths := make([]int64, len(rows))
	var sole []T // the only non-empty row, while there is one
	for i, r := range rows {
		total += len(r)
		lengths[i] = int64(len(r))
		if len(r) > 0 {
			sole = r
		}
	}
	if littleEndian && len(sole) == total {
		return &pb.Ragged{Values: EncodeTensor(sole), Lengths: lengths}
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
// backing array (on a little-endian machine, usually r's data: r must not be
// used afterwards). An absent Ragged decodes as nil.
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
