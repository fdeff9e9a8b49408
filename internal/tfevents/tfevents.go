// Package tfevents writes and reads TensorBoard event files: scalars per
// step, in the format TensorBoard's loader reads, written from its
// definition rather than through TensorFlow.
//
// An event file is a sequence of records. Each record is
//
//	uint64 length (little-endian)
//	uint32 masked CRC-32C of the 8 length bytes
//	length bytes of data: one serialized tensorflow.Event
//	uint32 masked CRC-32C of the data
//
// where the mask of a CRC c is ((c >> 15) | (c << 17)) + 0xa282ead8. The
// first event of a file carries file_version "brain.Event:2"; the others a
// wall time, a step and a Summary whose values each hold a tag and a
// simple_value. Only those fields of tensorflow.Event (event.proto) and
// tensorflow.Summary (summary.proto) are written and read:
//
//	Event:         double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5;
//	Summary:       repeated Value value = 1;
//	Summary.Value: string tag = 1; float simple_value = 2;
package tfevents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"sort"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// FileVersion is the file_version of the first event of a file.
const FileVersion = "brain.Event:2"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MaskedCRC is the masked CRC-32C of data that event records carry.
func MaskedCRC(data []byte) uint32 {
	c := crc32.Checksum(data, castagnoli)
	return ((c >> 15) | (c << 17)) + 0xa282ead8
}

// FileName is the conventional name of an event file created at t on host:
// events.out.tfevents.SECONDS.HOST. TensorBoard reads the files whose names
// contain "tfevents".
func FileName(t time.Time, host string) string {
	return fmt.Sprintf("events.out.tfevents.%d.%s", t.Unix(), host)
}

// Scalar is one tagged value of an event.
type Scalar struct {
	Tag   string
	Value float32
}

// Event is one record of an event file.
type Event struct {
	WallTime    float64 // seconds since the Unix epoch
	Step        int64
	FileVersion string   // set in the first event of a file only
	Scalars     []Scalar // the summary's simple values
}

// Writer writes event records to an io.Writer.
type Writer struct {
	w io.Writer
}

// NewWriter starts an event file on w with its file_version event.
func NewWriter(w io.Writer, wallTime float64) (*Writer, error) {
	ew := &Writer{w: w}
	return ew, ew.Write(Event{WallTime: wallTime, FileVersion: FileVersion})
}

// AppendWriter continues on w an event file that already has its
// file_version event (w appends to it).
func AppendWriter(w io.Writer) *Writer {
	return &Writer{w: w}
}

// WriteScalars writes one event holding the values of a step, tags in
// sorted order.
func (w *Writer) WriteScalars(step int64, wallTime float64, values map[string]float64) error {
	tags := make([]string, 0, len(values))
	for t := range values {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	ev := Event{WallTime: wallTime, Step: step}
	for _, t := range tags {
		ev.Scalars = append(ev.Scalars, Scalar{Tag: t, Value: float32(values[t])})
	}
	return w.Write(ev)
}

// Write writes one event record.
func (w *Writer) Write(ev Event) error {
	data := marshal(ev)
	head := make([]byte, 12, 12+len(data)+4)
	binary.LittleEndian.PutUint64(head, uint64(len(data)))
	binary.LittleEndian.PutUint32(head[8:], MaskedCRC(head[:8]))
	rec := append(append(head, data...), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(rec[len(rec)-4:], MaskedCRC(data))
	_, err := w.w.Write(rec)
	return err
}

func marshal(ev Event) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(ev.WallTime))
	if ev.Step != 0 {
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(ev.Step))
	}
	if ev.FileVersion != "" {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendString(b, ev.FileVersion)
	}
	if len(ev.Scalars) > 0 {
		var summary []byte
		for _, s := range ev.Scalars {
			var v []byte
			v = protowire.AppendTag(v, 1, protowire.BytesType)
			v = protowire.AppendString(v, s.Tag)
			v = protowire.AppendTag(v, 2, protowire.Fixed32Type)
			v = protowire.AppendFixed32(v, math.Float32bits(s.Value))
			summary = protowire.AppendTag(summary, 1, protowire.BytesType)
			summary = protowire.AppendBytes(summary, v)
		}
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b = protowire.AppendBytes(b, summary)
	}
	return b
}

// Read reads all event records of r, checking both checksums of each. An
// error names the record (counted from 1) and its byte offset.
func Read(r io.Reader) ([]Event, error) {
	var out []Event
	offset := 0
	for n := 1; ; n++ {
		head := make([]byte, 12)
		if _, err := io.ReadFull(r, head); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, fmt.Errorf("record %d at byte %d: truncated header", n, offset)
		}
		if got, want := binary.LittleEndian.Uint32(head[8:]), MaskedCRC(head[:8]); got != want {
			return out, fmt.Errorf("record %d at byte %d: length checksum %#08x, want %#08x", n, offset, got, want)
		}
		length := binary.LittleEndian.Uint64(head)
		if length > 1<<30 {
			return out, fmt.Errorf("record %d at byte %d: length %d is implausible", n, offset, length)
		}
		body := make([]byte, length+4)
		if _, err := io.ReadFull(r, body); err != nil {
			return out, fmt.Errorf("record %d at byte %d: truncated data", n, offset)
		}
		data := body[:length]
		if got, want := binary.LittleEndian.Uint32(body[length:]), MaskedCRC(data); got != want {
			return out, fmt.Errorf("record %d at byte %d: data checksum %#08x, want %#08x", n, offset, got, want)
		}
		ev, err := unmarshal(data)
		if err != nil {
			return out, fmt.Errorf("record %d at byte %d: %w", n, offset, err)
		}
		out = append(out, ev)
		offset += 12 + int(length) + 4
	}
}

// fields calls f with each field of a serialized message; it skips the
// fields f does not consume.
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, b []byte) (int, error)) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		used, err := f(num, typ, b)
		if err != nil {
			return err
		}
		if used == 0 {
			used = protowire.ConsumeFieldValue(num, typ, b)
		}
		if used < 0 {
			return protowire.ParseError(used)
		}
		b = b[used:]
	}
	return nil
}

func unmarshal(b []byte) (Event, error) {
	var ev Event
	err := fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch {
		case num == 1 && typ == protowire.Fixed64Type:
			v, n := protowire.ConsumeFixed64(b)
			ev.WallTime = math.Float64frombits(v)
			return n, nil
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			ev.Step = int64(v)
			return n, nil
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeString(b)
			ev.FileVersion = v
			return n, nil
		case num == 5 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return n, nil
			}
			scalars, err := unmarshalSummary(v)
			ev.Scalars = scalars
			return n, err
		}
		return 0, nil
	})
	if err != nil {
		return ev, fmt.Errorf("not a tensorflow.Event: %w", err)
	}
	return ev, nil
}

func unmarshalSummary(b []byte) ([]Scalar, error) {
	var out []Scalar
	err := fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		if num != 1 || typ != protowire.BytesType {
			return 0, nil
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return n, nil
		}
		var s Scalar
		hasValue := false
		err := fields(v, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
			switch {
			case num == 1 && typ == protowire.BytesType:
				t, n := protowire.ConsumeString(b)
				s.Tag = t
				return n, nil
			case num == 2 && typ == protowire.Fixed32Type:
				x, n := protowire.ConsumeFixed32(b)
				s.Value, hasValue = math.Float32frombits(x), true
				return n, nil
			}
			return 0, nil
		})
		if err == nil && hasValue {
			out = append(out, s)
		}
		return n, err
	})
	return out, err
}
