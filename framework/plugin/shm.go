package plugin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/forkrl/forkrl/framework/pluginapi"
	pb "github.com/forkrl/forkrl/framework/proto/forkrl/v1"
)

// Large tensors cross a plugin connection through shared memory: the host
// creates one region per plugin process (a sealed memfd on Linux), passes it
// to the process as an inherited file descriptor, and both map it. The
// region has two halves of halfBytes: the host writes into the first, the
// plugin into the second, each side allocating blocks in its own half only.
//
// A half starts with a 64-byte header that its writer fills in when it maps
// the region: the magic "forkrlsm" and the layout version (little-endian
// uint32 at byte 8). The host sends a tensor through shared memory only once
// the plugin's half has its header, so a plugin that does not know the
// region gets every tensor inline. After the header come blocks, at
// multiples of 64 bytes: a 64-byte block header (a uint32 state at byte 0,
// 1 while the block is taken, and the data's length as a uint64 at byte 8),
// then the data. A tensor of sharedMinBytes or more is copied into a block
// and its message carries Tensor.shared (the data's offset in the sender's
// half, and its length) instead of Tensor.data; the receiver checks the
// offset, the length and the block header, copies the bytes out and writes
// 0 into the block's state, which frees it: the sender reuses a block only
// after that. Calls in flight at once thus never share a block. A block
// whose message was never delivered (the call failed before it was sent,
// or the peer died) stays taken until the connection closes.
//
// The pages that blocks have touched stay with the region until the
// plugin is closed: its memory is that of the largest set of tensors in
// flight at once, and later calls write into pages already mapped, which
// costs less than fresh ones.
//
// The receiver trusts nothing in the region: offsets and lengths are
// checked against the half (sealed, so the peer cannot shrink it), and the
// bytes are copied once, into memory of the receiver's own.
const (
	// halfBytes is the size of each side's half of the region: 4 GiB
	// (256 MiB on 32-bit systems). Only the pages that blocks touch take
	// memory.
	halfBytes = 1 << (28 + 4*(^uint(0)>>63))
	// sharedMinBytes is the smallest tensor sent through shared memory;
	// smaller ones, whose copies cost less than the bookkeeping, go inline.
	sharedMinBytes = 1 << 20
	// sharedAlign is the alignment of blocks, and the size of the half and
	// block headers.
	sharedAlign = 64
	// sharedVersion is the version of the layout above.
	sharedVersion = 1
	// sharedMagic opens each half's header.
	sharedMagic = "forkrlsm"
	// envSharedFD names, in a plugin's environment, the file descriptor of
	// the region.
	envSharedFD = "FORKRL_PLUGIN_SHM_FD"
	// envShared, set to "off" in the host's environment, sends every
	// tensor inline.
	envShared = "FORKRL_PLUGIN_SHM"
)

// errNoSharedMemory is returned where the system offers no region (not
// Linux, or memfd and mmap are refused).
var errNoSharedMemory = errors.New("shared memory is not available on this system")

// sharedMemory is one side's view of a connection's region.
type sharedMemory struct {
	file *os.File // the region's file, until it has been passed to the plugin (host only)

	mu   sync.RWMutex // held for reading while the mapping is used, for writing by close
	mem  []byte       // the whole region; nil once closed
	own  int          // the offset of this side's half
	peer int          // the offset of the peer's half

	attached atomic.Bool // the peer's half has its header

	alloc  sync.Mutex
	blocks []sharedBlock // the blocks of this side's half not known to be free, by offset

	sent, received atomic.Int64 // tensors moved through the region each way
}

// sharedBlock is a block of this side's half: its header's offset in the
// half, and its size with the header.
type sharedBlock struct{ off, size int }

// newHostSharedMemory creates a connection's region on the host side; it
// returns errNoSharedMemory where the system has none or the host's
// environment turns it off.
func newHostSharedMemory() (*sharedMemory, error) {
	if os.Getenv(envShared) == "off" {
		return nil, errNoSharedMemory
	}
	f, m, err := createRegion(2 * halfBytes)
	if err != nil {
		return nil, err
	}
	s := &sharedMemory{file: f, mem: m, own: 0, peer: halfBytes}
	s.writeHeader()
	return s, nil
}

// attachPluginSharedMemory maps, in a plugin process, the region the host
// passed in its environment, and removes the variable so that the plugin's
// own children do not inherit it. It returns nil when the host passed none
// or the region cannot be used (the plugin then sends everything inline,
// and the host, which sees no header in the plugin's half, does too).
func attachPluginSharedMemory() *sharedMemory {
	v, ok := os.LookupEnv(envSharedFD)
	if !ok {
		return nil
	}
	_ = os.Unsetenv(envSharedFD)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 0 {
		fmt.Fprintf(os.Stderr, "forkrl plugin: %s=%q is not a file descriptor; sending tensors inline\n", envSharedFD, v)
		return nil
	}
	m, err := openRegion(fd, 2*halfBytes)
	if err != nil {
		fmt.Fprintf(os.Stderr, "forkrl plugin: cannot map the host's shared memory (%v); sending tensors inline\n", err)
		return nil
	}
	s := &sharedMemory{mem: m, own: halfBytes, peer: 0}
	if !s.hasHeader(s.peer) {
		fmt.Fprintln(os.Stderr, "forkrl plugin: the host's shared memory has no forkrl header; sending tensors inline")
		_ = unmapRegion(m)
		return nil
	}
	s.attached.Store(true)
	s.writeHeader()
	return s
}

// writeHeader fills in the header of this side's half.
func (s *sharedMemory) writeHeader() {
	h := s.mem[s.own : s.own+sharedAlign]
	binary.LittleEndian.PutUint32(h[8:], sharedVersion)
	copy(h, sharedMagic) // the magic last: a peer that sees it sees the version
}

// hasHeader reports whether the half at off has a header of this layout.
func (s *sharedMemory) hasHeader(off int) bool {
	h := s.mem[off : off+sharedAlign]
	return string(h[:len(sharedMagic)]) == sharedMagic && binary.LittleEndian.Uint32(h[8:]) == sharedVersion
}

// peerAttached reports whether the peer mapped the region, under s.mu.
func (s *sharedMemory) peerAttached() bool {
	if s.attached.Load() {
		return true
	}
	if s.hasHeader(s.peer) {
		s.attached.Store(true)
		return true
	}
	return false
}

// passTo makes the region an extra file of the plugin's command and names
// its descriptor in the command's environment.
func (s *sharedMemory) passTo(cmdFiles *[]*os.File, env *[]string) {
	*env = append(*env, fmt.Sprintf("%s=%d", envSharedFD, 3+len(*cmdFiles)))
	*cmdFiles = append(*cmdFiles, s.file)
}

// closeFile closes the host's descriptor of the region once the plugin
// process has its own (or failed to start); the mapping stays.
func (s *sharedMemory) closeFile() {
	if s != nil && s.file != nil {
		_ = s.file.Close()
		s.file = nil
	}
}

// close unmaps the region, after the copies in progress; later transfers
// fail or go inline.
func (s *sharedMemory) close() {
	if s == nil {
		return
	}
	s.closeFile()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mem != nil {
		_ = unmapRegion(s.mem)
		s.mem = nil
	}
}

// word is the uint32 at byte off of the region, for atomic access.
func (s *sharedMemory) word(off int) *uint32 {
	return (*uint32)(unsafe.Pointer(&s.mem[off]))
}

// put copies data into a new block of this side's half and returns the
// data's offset in the half; ok is false when the peer has not mapped the
// region or the half has no room (the caller then sends data inline).
func (s *sharedMemory) put(data []byte) (off int, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mem == nil || !s.peerAttached() {
		return 0, false
	}
	size := sharedAlign + (len(data)+sharedAlign-1)/sharedAlign*sharedAlign
	s.alloc.Lock()
	live := s.blocks[:0]
	for _, b := range s.blocks {
		if atomic.LoadUint32(s.word(s.own+b.off)) != 0 {
			live = append(live, b)
		}
	}
	s.blocks = live
	at, i := sharedAlign, 0 // first fit, after the half's header
	for ; i < len(s.blocks) && s.blocks[i].off-at < size; i++ {
		at = s.blocks[i].off + s.blocks[i].size
	}
	if at+size > halfBytes {
		s.alloc.Unlock()
		return 0, false
	}
	s.blocks = append(s.blocks, sharedBlock{})
	copy(s.blocks[i+1:], s.blocks[i:])
	s.blocks[i] = sharedBlock{at, size}
	head := s.own + at
	binary.LittleEndian.PutUint64(s.mem[head+8:], uint64(len(data)))
	atomic.StoreUint32(s.word(head), 1)
	s.alloc.Unlock()
	copy(s.mem[head+sharedAlign:], data)
	s.sent.Add(1)
	return at + sharedAlign, true
}

// take copies out the block of the peer's half that ref names, checked
// against the half and the block's header, and frees the block.
func (s *sharedMemory) take(ref *pb.Shared) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mem == nil {
		return nil, errors.New("tensor data is in shared memory, but this connection has none")
	}
	off, n := ref.GetOffset(), ref.GetLength()
	if off < 2*sharedAlign || off%sharedAlign != 0 || off > halfBytes || n > halfBytes-off {
		return nil, fmt.Errorf("shared tensor data of %d bytes at offset %d lies outside the %d-byte region or off its 64-byte grid", n, off, uint64(halfBytes))
	}
	head := s.peer + int(off) - sharedAlign
	if have := binary.LittleEndian.Uint64(s.mem[head+8:]); have != n {
		return nil, fmt.Errorf("shared tensor data at offset %d: the message says %d bytes, its block holds %d", off, n, have)
	}
	state := s.word(head)
	if atomic.LoadUint32(state) != 1 {
		return nil, fmt.Errorf("shared tensor data at offset %d is not in a taken block (sent twice, or already freed)", off)
	}
	start := s.peer + int(off)
	out := append([]byte(nil), s.mem[start:start+int(n)]...) // unlike make and copy, not cleared first
	atomic.StoreUint32(state, 0)
	s.received.Add(1)
	return out, nil
}

// SharedTensors returns how many tensors went to the plugin, and came back
// from it, through shared memory rather than inside messages: 0, 0 for a
// plugin in the host, a system without shared memory, or a plugin that
// does not map the region.
func (in *Instance) SharedTensors() (sent, received int64) {
	if in.shm == nil {
		return 0, 0
	}
	return in.shm.sent.Load(), in.shm.received.Load()
}

// sharedCodec is pluginapi.Codec on a connection with a region: sending, it
// moves tensors of sharedMinBytes or more into this side's half; receiving,
// it copies tensors out of the peer's half.
type sharedCodec struct{ shm *sharedMemory }

var _ encoding.CodecV2 = sharedCodec{}

// Name is the content-subtype on the wire: plain protobuf.
func (sharedCodec) Name() string { return "proto" }

// Marshal encodes v, its large tensors in shared memory where the peer can
// read them there. v is left as it was.
func (c sharedCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return pluginapi.Codec.Marshal(v)
	}
	switch size := proto.Size(m); {
	case size < min(sharedMinBytes, pluginapi.LargeMessageBytes):
		return defaultCodec.Marshal(v) // what pluginapi.Codec would do, without sizing v again
	}
	type moved struct {
		t    *pb.Tensor
		data []byte
	}
	var all []moved
	defer func() {
		for _, x := range all {
			x.t.Data, x.t.Shared = x.data, nil
		}
	}()
	_ = forTensors(m.ProtoReflect(), func(t *pb.Tensor) error {
		if len(t.Data) < sharedMinBytes || t.Shared != nil {
			return nil
		}
		if off, ok := c.shm.put(t.Data); ok {
			all = append(all, moved{t, t.Data})
			t.Shared = &pb.Shared{Offset: uint64(off), Length: uint64(len(t.Data))}
			t.Data = nil
		}
		return nil
	})
	return pluginapi.Codec.Marshal(v)
}

// Unmarshal decodes data into v, copying tensors out of shared memory.
func (c sharedCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if err := pluginapi.Codec.Unmarshal(data, v); err != nil {
		return err
	}
	m, ok := v.(proto.Message)
	if !ok {
		return nil
	}
	return forTensors(m.ProtoReflect(), func(t *pb.Tensor) error {
		if t.Shared == nil {
			return nil
		}
		if len(t.Data) > 0 {
			return errors.New("a tensor has both inline and shared data")
		}
		b, err := c.shm.take(t.Shared)
		if err != nil {
			return err
		}
		t.Data, t.Shared = b, nil
		return nil
	})
}

// defaultCodec is gRPC's protobuf codec.
var defaultCodec = encoding.GetCodecV2("proto")

// tensorName is the full name of forkrl.v1.Tensor.
var tensorName = (&pb.Tensor{}).ProtoReflect().Descriptor().FullName()

// forTensors calls f on every tensor inside m.
func forTensors(m protoreflect.Message, f func(*pb.Tensor) error) error {
	md := m.Descriptor()
	if md.FullName() == tensorName {
		if t, ok := m.Interface().(*pb.Tensor); ok {
			return f(t)
		}
		return nil
	}
	for _, fd := range tensorFields(md) {
		if !m.Has(fd) {
			continue
		}
		if fd.IsList() {
			l := m.Get(fd).List()
			for i := range l.Len() {
				if err := forTensors(l.Get(i).Message(), f); err != nil {
					return err
				}
			}
			continue
		}
		if err := forTensors(m.Get(fd).Message(), f); err != nil {
			return err
		}
	}
	return nil
}

// tensorFieldsOf caches tensorFields by message descriptor (one value per
// message type, so cheaper to look up than its name).
var tensorFieldsOf sync.Map // protoreflect.MessageDescriptor → []protoreflect.FieldDescriptor

// tensorFields are the message fields of md (not maps) through which a
// tensor can be reached.
func tensorFields(md protoreflect.MessageDescriptor) []protoreflect.FieldDescriptor {
	if v, ok := tensorFieldsOf.Load(md); ok {
		return v.([]protoreflect.FieldDescriptor)
	}
	var out []protoreflect.FieldDescriptor
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Message() != nil && !fd.IsMap() && reachesTensor(fd.Message(), map[protoreflect.FullName]bool{}) {
			out = append(out, fd)
		}
	}
	tensorFieldsOf.Store(md, out)
	return out
}

// reachesTensor reports whether md is a tensor or holds one, through fields
// that are not maps; seen guards against recursive messages.
func reachesTensor(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) bool {
	if md.FullName() == tensorName {
		return true
	}
	if seen[md.FullName()] {
		return false
	}
	seen[md.FullName()] = true
	fields := md.Fields()
	for i := range fields.Len() {
		if fd := fields.Get(i); fd.Message() != nil && !fd.IsMap() && reachesTensor(fd.Message(), seen) {
			return true
		}
	}
	return false
}

// codecFor is the gRPC codec of a connection with region shm (nil: none).
func codecFor(shm *sharedMemory) encoding.CodecV2 {
	if shm == nil {
		return pluginapi.Codec
	}
	return sharedCodec{shm}
}
