package recipe

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// WriteDiagnostics renders diagnostics for a person: severity, summary,
// file:line:col, the source lines with the range underlined, and the detail.
// files are the parsed sources (Recipe.Files); width wraps the detail (0:
// no wrapping).
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint, color bool) error {
	return hcl.NewDiagnosticTextWriter(w, files, width, color).WriteDiagnostics(diags)
}

// JSONDiagnostic is the JSON form of a diagnostic (forkrl validate -json).
type JSONDiagnostic struct {
	Severity string     `json:"severity"` // "error" or "warning"
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *JSONRange `json:"range,omitempty"`
	// Snippet is the source line(s) of Range, when the file is known.
	Snippet string `json:"snippet,omitempty"`
}

// JSONRange is a source range: lines and columns from 1, bytes from 0; End is exclusive.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONPos is a position in a source file.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// ToJSON converts diagnostics to their JSON form, with source snippets from files.
func ToJSON(files map[string]*hcl.File, diags hcl.Diagnostics) []JSONDiagnostic {
	out := make([]JSONDiagnostic, 0, len(diags))
	for _, d := range diags {
		j := JSONDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			j.Severity = "warning"
		}
		if s := d.Subject; s != nil {
			j.Range = &JSONRange{
				Filename: s.Filename,
				Start:    JSONPos{s.Start.Line, s.Start.Column, s.Start.Byte},
				End:      JSONPos{s.End.Line, s.End.Column, s.End.Byte},
			}
			if f, ok := files[s.Filename]; ok && f != nil {
				j.Snippet = snippet(f.Bytes, *s)
			}
		}
		out = append(out, j)
	}
	return out
}

// snippet returns the whole lines that rng covers.
func snippet(src []byte, rng hcl.Range) string {
	lines := strings.Split(string(src), "\n")
	if rng.Start.Line < 1 || rng.Start.Line > len(lines) {
		return ""
	}
	end := min(max(rng.End.Line, rng.Start.Line), len(lines))
	return strings.Join(lines[rng.Start.Line-1:end], "\n")
}

// MarshalDiagnostics renders diagnostics as indented JSON.
func MarshalDiagnostics(files map[string]*hcl.File, diags hcl.Diagnostics) ([]byte, error) {
	return json.MarshalIndent(ToJSON(files, diags), "", "  ")
}
