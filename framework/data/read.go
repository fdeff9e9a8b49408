package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Row is one record of a data file: its fields by name. Values are what
// encoding/json decodes (string, float64, bool, nil, []any, map[string]any)
// or, for parquet, the column's Go value.
type Row map[string]any

// Format names a data file format.
const (
	FormatJSONL   = "jsonl"
	FormatParquet = "parquet"
)

// FormatOf returns the format of a file from its extension: .jsonl and
// .json are JSONL, .parquet is parquet.
func FormatOf(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".json", ".ndjson":
		return FormatJSONL, nil
	case ".parquet":
		return FormatParquet, nil
	}
	return "", fmt.Errorf("%s: cannot tell the data format from the extension %q; name the format (%q or %q)", path, filepath.Ext(path), FormatJSONL, FormatParquet)
}

// ReadFile reads every row of a data file. An empty format is taken from
// the file's extension.
func ReadFile(path, format string) ([]Row, error) {
	if format == "" {
		var err error
		if format, err = FormatOf(path); err != nil {
			return nil, err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch format {
	case FormatJSONL:
		return ReadJSONL(f, path)
	case FormatParquet:
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		return ReadParquet(f, st.Size(), path)
	}
	return nil, fmt.Errorf("%s: unknown data format %q; use %q or %q", path, format, FormatJSONL, FormatParquet)
}

// ReadJSONL reads one JSON object per line; blank lines are skipped. name
// labels errors ("file.jsonl:12: ...").
func ReadJSONL(r io.Reader, name string) ([]Row, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var rows []Row
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			var row Row
			if jerr := json.Unmarshal(b, &row); jerr != nil {
				return nil, fmt.Errorf("%s:%d: not a JSON object: %v", name, line, jerr)
			}
			rows = append(rows, row)
		}
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
}

// ReadParquet reads every row of a parquet file; nested groups become
// nested maps, repeated fields lists.
func ReadParquet(r io.ReaderAt, size int64, name string) ([]Row, error) {
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: not a parquet file: %w", name, err)
	}
	rd := parquet.NewGenericReader[any](f)
	defer rd.Close()
	rows := make([]Row, 0, f.NumRows())
	buf := make([]any, 256)
	for {
		n, err := rd.Read(buf)
		for _, v := range buf[:n] {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: row %d is a %T, not a record", name, len(rows), v)
			}
			rows = append(rows, Row(m))
		}
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", name, len(rows), err)
		}
		if n == 0 {
			return rows, nil
		}
	}
}

// Lookup returns the value at a field path: a name, or names and list
// indexes joined by dots ("reward_model.ground_truth", "prompt.0.content").
func (r Row) Lookup(path string) (any, bool) {
	var cur any = map[string]any(r)
	for _, part := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			x, ok := v[part]
			if !ok {
				return nil, false
			}
			cur = x
		case Row:
			x, ok := v[part]
			if !ok {
				return nil, false
			}
			cur = x
		case []any:
			var i int
			if _, err := fmt.Sscanf(part, "%d", &i); err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			cur = v[i]
		default:
			return nil, false
		}
	}
	return cur, true
}
