package pluginapi

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"

	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the default protobuf codec that Codec falls back to
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Codec is the gRPC codec of plugin connections (install it with
// grpc.ForceCodecV2 and grpc.ForceServerCodecV2). It writes and reads
// standard protobuf, byte for byte what proto.Marshal writes, under the name
// "proto", so a peer that uses any protobuf library (Python's grpcio
// included) is not affected. It differs from gRPC's default codec only in
// how messages of LargeMessageBytes or more move through memory:
//
//   - sending, a bytes field of LargeBytes or more (a tensor's data) is
//     handed to gRPC as the field's own memory instead of being copied into
//     one marshalled buffer;
//   - receiving, such a field is copied once, from the received frames into
//     memory of its own, instead of being gathered into one buffer and then
//     copied again by proto.Unmarshal. Its memory is then the field's alone
//     and starts at an allocation's start, aligned for any element type, so
//     that DecodeTensor returns it without another copy.
//
// gRPC reads a sent field's memory while it writes the message, after
// Marshal has returned, so that memory must not change until then: a unary
// call that succeeds returns after it, one that fails early (cancelled, past
// its deadline) may return before; a server's response is written after its
// handler has returned, so a handler must not hand out memory that it
// reuses for later calls.
//
// Messages smaller than LargeMessageBytes, and messages that are not protobuf
// messages of the protobuf-go API, go through gRPC's default codec.
var Codec encoding.CodecV2 = largeBytesCodec{}

// Sizes from which Codec takes its own path.
const (
	// LargeMessageBytes is the size from which a message goes through
	// Codec's own path. Below it the default codec, with its pooled
	// buffers, is faster: a selector call on 8,192 tokens (about 100 KiB)
	// took half as long again through Codec's path.
	LargeMessageBytes = 1 << 20
	// LargeBytes is the size from which a field of such a message is
	// moved on its own, a bytes field without the default codec's copies;
	// smaller fields are marshalled and unmarshalled by protobuf.
	LargeBytes = 64 << 10
)

// largeBytesCodec implements Codec.
type largeBytesCodec struct{}

// defaultCodec is gRPC's protobuf codec.
var defaultCodec = encoding.GetCodecV2("proto")

// Name is the content-subtype on the wire: plain protobuf.
func (largeBytesCodec) Name() string { return "proto" }

// Marshal encodes v; large bytes fields alias v's memory (see Codec).
func (largeBytesCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(proto.Message)
	if !ok || proto.Size(m) < LargeMessageBytes {
		return defaultCodec.Marshal(v)
	}
	parts, _, err := encodeMessage(nil, m.ProtoReflect())
	if err != nil {
		return nil, err
	}
	out := make(mem.BufferSlice, len(parts))
	for i, p := range parts {
		out[i] = mem.SliceBuffer(p)
	}
	return out, nil
}

// Unmarshal decodes data into v.
func (largeBytesCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok || data.Len() < LargeMessageBytes {
		return defaultCodec.Unmarshal(data, v)
	}
	proto.Reset(m)
	r := data.Reader()
	defer r.Close()
	return decodeMessage(r, data.Len(), m.ProtoReflect())
}

// isLarge is whether field fd of value v is encoded on its own by
// encodeMessage and decoded on its own by decodeMessage: a singular bytes
// field of LargeBytes or more, or a message field (one element of a
// repeated one) of that size.
func isLarge(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
	switch {
	case fd.IsMap():
		return false
	case fd.Kind() == protoreflect.BytesKind:
		return !fd.IsList() && len(v.Bytes()) >= LargeBytes
	case fd.Kind() == protoreflect.MessageKind && fd.IsList():
		for i := range v.List().Len() {
			if proto.Size(v.List().Get(i).Message().Interface()) >= LargeBytes {
				return true
			}
		}
		return false
	case fd.Kind() == protoreflect.MessageKind:
		return proto.Size(v.Message().Interface()) >= LargeBytes
	}
	return false
}

// encodeMessage appends to parts the encoding of m, in the order in which
// proto.Marshal writes it (fields by number, unknown fields last): runs of
// small fields are marshalled by proto.Marshal, large fields (isLarge) are
// written here, their bytes as parts of their own. It returns the parts and
// the number of bytes added.
func encodeMessage(parts [][]byte, m protoreflect.Message) ([][]byte, int, error) {
	size := 0
	add := func(p []byte) {
		parts = append(parts, p)
		size += len(p)
	}
	var run protoreflect.Message // the small fields since the last large one
	flush := func() error {
		if run == nil {
			return nil
		}
		b, err := proto.Marshal(run.Interface())
		add(b)
		run = nil
		return err
	}
	// field writes one message-valued field: its tag and length, then sub.
	field := func(n protoreflect.FieldNumber, sub protoreflect.Message) error {
		head := len(parts)
		add(nil) // placeholder for the tag and length
		var subSize int
		var err error
		if parts, subSize, err = encodeMessage(parts, sub); err != nil {
			return err
		}
		parts[head] = protowire.AppendVarint(protowire.AppendTag(nil, n, protowire.BytesType), uint64(subSize))
		size += len(parts[head]) + subSize
		return nil
	}
	fields := m.Descriptor().Fields()
	fds := make([]protoreflect.FieldDescriptor, fields.Len())
	for i := range fds {
		fds[i] = fields.Get(i)
	}
	slices.SortFunc(fds, func(a, b protoreflect.FieldDescriptor) int { return int(a.Number() - b.Number()) })
	for _, fd := range fds {
		if !m.Has(fd) {
			continue
		}
		v := m.Get(fd)
		if !isLarge(fd, v) {
			if run == nil {
				run = m.New()
			}
			run.Set(fd, v)
			continue
		}
		if err := flush(); err != nil {
			return nil, 0, err
		}
		switch {
		case fd.Kind() == protoreflect.BytesKind:
			add(protowire.AppendVarint(protowire.AppendTag(nil, fd.Number(), protowire.BytesType), uint64(len(v.Bytes()))))
			add(v.Bytes())
		case fd.IsList():
			for i := range v.List().Len() {
				if err := field(fd.Number(), v.List().Get(i).Message()); err != nil {
					return nil, 0, err
				}
			}
		default:
			if err := field(fd.Number(), v.Message()); err != nil {
				return nil, 0, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, 0, err
	}
	if u := m.GetUnknown(); len(u) > 0 {
		add(u)
	}
	return parts, size, nil
}

// decodeMessage merges into m the encoding of n bytes read from r. A large
// length-delimited field (a bytes field, or a message field, of LargeBytes
// or more) is read here, a bytes field straight into memory of its own; the
// fields between large ones are gathered and merged by proto.Unmarshal.
func decodeMessage(r *mem.Reader, n int, m protoreflect.Message) error {
	end := r.Remaining() - n
	var run []byte // the small fields since the last large one
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		err := proto.UnmarshalOptions{Merge: true}.Unmarshal(run, m.Interface())
		run = run[:0]
		return err
	}
	read := func(k int) error {
		if k > r.Remaining()-end {
			return fmt.Errorf("protobuf message %s is truncated", m.Descriptor().FullName())
		}
		run = slices.Grow(run, k)
		_, err := io.ReadFull(r, run[len(run):len(run)+k])
		run = run[:len(run)+k]
		return err
	}
	varint := func() (uint64, error) {
		if r.Remaining() <= end {
			return 0, fmt.Errorf("protobuf message %s is truncated", m.Descriptor().FullName())
		}
		return binary.ReadUvarint(r)
	}
	for r.Remaining() > end {
		tag, err := varint()
		if err != nil {
			return err
		}
		num, typ := protowire.DecodeTag(tag)
		run = protowire.AppendVarint(run, tag)
		switch typ {
		case protowire.VarintType:
			x, err := varint()
			if err != nil {
				return err
			}
			run = protowire.AppendVarint(run, x)
		case protowire.Fixed32Type:
			err = read(4)
		case protowire.Fixed64Type:
			err = read(8)
		case protowire.BytesType:
			var k uint64
			if k, err = varint(); err != nil {
				return err
			}
			if k > uint64(r.Remaining()-end) {
				return fmt.Errorf("protobuf message %s is truncated", m.Descriptor().FullName())
			}
			fd := m.Descriptor().Fields().ByNumber(num)
			if k < LargeBytes || fd == nil || fd.IsMap() || (fd.Kind() != protoreflect.MessageKind && (fd.Kind() != protoreflect.BytesKind || fd.IsList())) {
				run = protowire.AppendVarint(run, k)
				err = read(int(k))
				break
			}
			run = run[:len(run)-protowire.SizeVarint(tag)]
			if err = flush(); err != nil {
				return err
			}
			err = decodeLarge(r, int(k), m, fd)
		default:
			return fmt.Errorf("protobuf message %s has a field of wire type %d, which forkrl plugins do not use", m.Descriptor().FullName(), typ)
		}
		if err != nil {
			return err
		}
	}
	if r.Remaining() < end {
		return fmt.Errorf("protobuf message %s overruns its length", m.Descriptor().FullName())
	}
	return flush()
}

// decodeLarge reads the k bytes of field fd of m from r: a bytes field into
// memory of its own, a message field by decodeMessage.
func decodeLarge(r *mem.Reader, k int, m protoreflect.Message, fd protoreflect.FieldDescriptor) error {
	switch {
	case fd.Kind() == protoreflect.BytesKind:
		b := make([]byte, k)
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		m.Set(fd, protoreflect.ValueOfBytes(b))
		return nil
	case fd.IsList():
		list := m.Mutable(fd).List()
		elem := list.NewElement()
		if err := decodeMessage(r, k, elem.Message()); err != nil {
			return err
		}
		list.Append(elem)
		return nil
	default:
		return decodeMessage(r, k, m.Mutable(fd).Message())
	}
}
