// Package safetensors reads and writes safetensors files, the weight format
// of Hugging Face checkpoints: a single file, or shards listed by a
// model.safetensors.index.json. Files are memory-mapped, and tensors of
// dtype F32, BF16 and F16 are read into float32.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"golang.org/x/sys/unix"
)

// Info describes one tensor of a file.
type Info struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

// File is an open safetensors file, memory-mapped.
type File struct {
	path    string
	tensors map[string]Info
	meta    map[string]string
	mapped  []byte // the whole file
	data    []byte // the byte buffer after the header
}

// Open maps a safetensors file and reads its header.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size < 8 {
		return nil, fmt.Errorf("%s: too short to be a safetensors file (%d bytes)", path, size)
	}
	mapped, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("%s: mmap: %w", path, err)
	}
	file, err := parse(path, mapped)
	if err != nil {
		unix.Munmap(mapped)
		return nil, err
	}
	return file, nil
}

func parse(path string, buf []byte) (*File, error) {
	n := binary.LittleEndian.Uint64(buf)
	if n > uint64(len(buf)-8) {
		return nil, fmt.Errorf("%s: header length %d exceeds the file", path, n)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(buf[8:8+n], &raw); err != nil {
		return nil, fmt.Errorf("%s: bad header: %w", path, err)
	}
	f := &File{path: path, tensors: map[string]Info{}, mapped: buf, data: buf[8+n:]}
	for name, v := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(v, &f.meta); err != nil {
				return nil, fmt.Errorf("%s: bad metadata: %w", path, err)
			}
			continue
		}
		var info Info
		if err := json.Unmarshal(v, &info); err != nil {
			return nil, fmt.Errorf("%s: bad header entry %q: %w", path, name, err)
		}
		size, ok := dtypeSize[info.DType]
		if !ok {
			size = 0 // unsupported dtypes are refused when read, not when listed
		}
		lo, hi := info.Offsets[0], info.Offsets[1]
		if lo < 0 || hi < lo || hi > len(f.data) || (ok && hi-lo != size*numel(info.Shape)) {
			return nil, fmt.Errorf("%s: tensor %s has data offsets [%d, %d) that do not fit its shape %v and dtype %s or the file", path, name, lo, hi, info.Shape, info.DType)
		}
		f.tensors[name] = info
	}
	return f, nil
}

var dtypeSize = map[string]int{"F32": 4, "BF16": 2, "F16": 2}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Close unmaps the file.
func (f *File) Close() error {
	if f.mapped == nil {
		return nil
	}
	err := unix.Munmap(f.mapped)
	f.mapped, f.data = nil, nil
	return err
}

// Path is the file's path.
func (f *File) Path() string { return f.path }

// Metadata is the file's __metadata__ map.
func (f *File) Metadata() map[string]string { return f.meta }

// Names lists the tensors, sorted.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.tensors))
	for n := range f.tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Info describes a tensor.
func (f *File) Info(name string) (Info, bool) {
	i, ok := f.tensors[name]
	return i, ok
}

// Read converts the tensor name into dst, checking that its shape is shape.
// Errors name the file, the tensor and both shapes.
func (f *File) Read(name string, shape []int, dst []float32) error {
	info, ok := f.tensors[name]
	if !ok {
		return fmt.Errorf("%s: tensor %s is missing", f.path, name)
	}
	if !slices.Equal(info.Shape, shape) {
		return fmt.Errorf("%s: tensor %s has shape %v, the configuration needs %v", f.path, name, info.Shape, shape)
	}
	if len(dst) != numel(shape) {
		panic("safetensors: destination length does not match the shape")
	}
	src := f.data[info.Offsets[0]:info.Offsets[1]]
	switch info.DType {
	case "F32":
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case "BF16":
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
		}
	case "F16":
		for i := range dst {
			dst[i] = F16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	default:
		return fmt.Errorf("%s: tensor %s has dtype %s; supported are F32, BF16 and F16", f.path, name, info.DType)
	}
	return nil
}

// F16ToF32 converts an IEEE half-precision value.
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		v := float32(mant) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// F32ToBF16 rounds a float32 to bfloat16, to nearest even.
func F32ToBF16(x float32) uint16 {
	b := math.Float32bits(x)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep it a NaN
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// Checkpoint is the weights of a Hugging Face model folder: one
// model.safetensors, or the shards a model.safetensors.index.json lists.
type Checkpoint struct {
	dir    string
	files  []*File
	byName map[string]*File
}

// OpenDir opens the weights of a model folder.
func OpenDir(dir string) (*Checkpoint, error) {
	c := &Checkpoint{dir: dir, byName: map[string]*File{}}
	index := filepath.Join(dir, "model.safetensors.index.json")
	raw, err := os.ReadFile(index)
	switch {
	case err == nil:
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(raw, &idx); err != nil {
			return nil, fmt.Errorf("%s: %w", index, err)
		}
		shards := map[string]*File{}
		for _, name := range sortedKeys(idx.WeightMap) {
			shard := idx.WeightMap[name]
			if filepath.Base(shard) != shard {
				return nil, fmt.Errorf("%s: shard %q of %s is not a file name in the folder", index, shard, name)
			}
			f, ok := shards[shard]
			if !ok {
				if f, err = Open(filepath.Join(dir, shard)); err != nil {
					c.Close()
					return nil, err
				}
				shards[shard] = f
				c.files = append(c.files, f)
			}
			if _, ok := f.Info(name); !ok {
				c.Close()
				return nil, fmt.Errorf("%s lists %s in %s, which does not hold it", index, name, shard)
			}
			c.byName[name] = f
		}
	case errors.Is(err, os.ErrNotExist):
		f, err := Open(filepath.Join(dir, "model.safetensors"))
		if err != nil {
			return nil, err
		}
		c.files = append(c.files, f)
		for _, n := range f.Names() {
			c.byName[n] = f
		}
	default:
		return nil, err
	}
	return c, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Has reports whether the checkpoint holds a tensor.
func (c *Checkpoint) Has(name string) bool {
	_, ok := c.byName[name]
	return ok
}

// Info describes a tensor of the checkpoint.
func (c *Checkpoint) Info(name string) (Info, bool) {
	if f, ok := c.byName[name]; ok {
		return f.Info(name)
	}
	return Info{}, false
}

// Read converts a tensor into dst; see File.Read.
func (c *Checkpoint) Read(name string, shape []int, dst []float32) error {
	f, ok := c.byName[name]
	if !ok {
		return fmt.Errorf("%s: tensor %s is missing", c.dir, name)
	}
	return f.Read(name, shape, dst)
}

// Names lists every tensor, sorted.
func (c *Checkpoint) Names() []string {
	names := make([]string, 0, len(c.byName))
	for n := range c.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Close unmaps every file.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// Tensor is a tensor to write.
type Tensor struct {
	Name  string
	Shape []int
	DType string // "F32" or "BF16"; empty: F32
	Data  []float32
}

// Write writes tensors (sorted by name) and metadata as one safetensors file.
func Write(w io.Writer, tensors []Tensor, meta map[string]string) error {
	tensors = slices.Clone(tensors)
	sort.Slice(tensors, func(i, j int) bool { return tensors[i].Name < tensors[j].Name })
	header := map[string]any{}
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	off := 0
	for i, t := range tensors {
		if t.DType == "" {
			tensors[i].DType = "F32"
		}
		size, ok := dtypeSize[tensors[i].DType]
		if !ok || tensors[i].DType == "F16" {
			return fmt.Errorf("safetensors: cannot write dtype %s", t.DType)
		}
		if len(t.Data) != numel(t.Shape) {
			return fmt.Errorf("safetensors: tensor %s has %d values for shape %v", t.Name, len(t.Data), t.Shape)
		}
		header[t.Name] = Info{DType: tensors[i].DType, Shape: t.Shape, Offsets: [2]int{off, off + size*len(t.Data)}}
		off += size * len(t.Data)
	}
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(h)%8 != 0 { // align the data, as the format recommends
		h = append(h, ' ')
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(h)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(h); err != nil {
		return err
	}
	for _, t := range tensors {
		var buf []byte
		if t.DType == "BF16" {
			buf = make([]byte, 2*len(t.Data))
			for i, v := range t.Data {
				binary.LittleEndian.PutUint16(buf[2*i:], F32ToBF16(v))
			}
		} else {
			buf = make([]byte, 4*len(t.Data))
			for i, v := range t.Data {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}
