package tfevents

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestMaskedCRC checks the checksum against CRC-32C's check value (of
// "123456789": 0xe3069283) masked by hand.
func TestMaskedCRC(t *testing.T) {
	c := crc32.Checksum([]byte("123456789"), castagnoli)
	if c != 0xe3069283 {
		t.Fatalf("CRC-32C = %#x, want 0xe3069283", c)
	}
	want := ((c >> 15) | (c << 17)) + 0xa282ead8
	if got := MaskedCRC([]byte("123456789")); got != want {
		t.Errorf("masked %#x, want %#x", got, want)
	}
}

func TestWriteRead(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter(&b, 1700000000.5)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteScalars(3, 1700000001, map[string]float64{"b/x": 0.25, "a": -1.5}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteScalars(4, 1700000002, map[string]float64{"a": 2}); err != nil {
		t.Fatal(err)
	}
	// The record layout: length, its masked CRC, data, the data's masked CRC.
	raw := b.Bytes()
	n := binary.LittleEndian.Uint64(raw)
	if binary.LittleEndian.Uint32(raw[8:]) != MaskedCRC(raw[:8]) || binary.LittleEndian.Uint32(raw[12+n:]) != MaskedCRC(raw[12:12+n]) {
		t.Fatal("the first record's checksums are not where the format puts them")
	}
	evs, err := Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{WallTime: 1700000000.5, FileVersion: FileVersion},
		{WallTime: 1700000001, Step: 3, Scalars: []Scalar{{"a", -1.5}, {"b/x", 0.25}}},
		{WallTime: 1700000002, Step: 4, Scalars: []Scalar{{"a", 2}}},
	}
	if !reflect.DeepEqual(evs, want) {
		t.Errorf("read %+v\nwant %+v", evs, want)
	}

	// A flipped byte of data, and a file cut short, are reported.
	bad := bytes.Clone(raw)
	bad[14] ^= 1
	if _, err := Read(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "record 1 at byte 0: data checksum") {
		t.Errorf("corrupt data: %v", err)
	}
	second := 12 + int(n) + 4
	if evs, err := Read(bytes.NewReader(raw[:second+20])); err == nil || !strings.Contains(err.Error(), "record 2 at byte") || len(evs) != 1 {
		t.Errorf("truncated file: %d events, %v", len(evs), err)
	}
}

// TestKnownRecord checks the bytes of a file_version event against the
// serialization the format defines: field 1 (fixed64 wall time, tag 0x09),
// field 3 (string, tag 0x1a).
func TestKnownRecord(t *testing.T) {
	var b bytes.Buffer
	if _, err := NewWriter(&b, 2); err != nil {
		t.Fatal(err)
	}
	data := []byte{0x09}
	data = binary.LittleEndian.AppendUint64(data, math.Float64bits(2))
	data = append(data, 0x1a, byte(len(FileVersion)))
	data = append(data, FileVersion...)
	if got := b.Bytes()[12 : 12+len(data)]; !bytes.Equal(got, data) {
		t.Errorf("event bytes % x\nwant % x", got, data)
	}
	if got := FileName(time.Unix(1700000000, 0), "host"); got != "events.out.tfevents.1700000000.host" {
		t.Errorf("file name %q", got)
	}
}
