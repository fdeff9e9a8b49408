package recipe

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcled"
)

// WriteDiagnostics renders diagnostics for a person: severity and summary,
// file:line:col with the enclosing block, the source lines with the range
// marked by carets, and the detail. files are the parsed sources
// (Recipe.Files); width wraps the detail (0: no wrapping); color adds ANSI
// colours for a terminal.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint, color bool) error {
	var b strings.Builder
	for _, d := range diags {
		writeDiagnostic(&b, files, d, width, color)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDiagnostic(b *strings.Builder, files map[string]*hcl.File, d *hcl.Diagnostic, width uint, color bool) {
	sev, code := "Error", "\x1b[31m"
	if d.Severity == hcl.DiagWarning {
		sev, code = "Warning", "\x1b[33m"
	}
	if color {
		sev = code + sev + "\x1b[0m"
	}
	fmt.Fprintf(b, "%s: %s\n\n", sev, d.Summary)
	if s := d.Subject; s != nil {
		fmt.Fprintf(b, "  on %s:%d:%d", s.Filename, s.Start.Line, s.Start.Column)
		f := files[s.Filename]
		if f != nil && f.Nav != nil {
			if ctx := hcled.ContextString(f, s.Start.Byte); ctx != "" {
				fmt.Fprintf(b, ", in %s", ctx)
			}
		}
		b.WriteString(":\n")
		if f != nil && f.Bytes != nil {
			writeExcerpt(b, f.Bytes, *s)
		}
		b.WriteString("\n")
	}
	if d.Detail != "" {
		detail := d.Detail
		if width > 0 {
			detail = wrap(detail, int(width))
		}
		fmt.Fprintf(b, "%s\n\n", detail)
	}
}

// writeExcerpt writes the source lines of rng, numbered, with carets under
// the range on its first line.
func writeExcerpt(b *strings.Builder, src []byte, rng hcl.Range) {
	lines := strings.Split(string(src), "\n")
	if rng.Start.Line < 1 || rng.Start.Line > len(lines) {
		return
	}
	last := min(max(rng.End.Line, rng.Start.Line), len(lines), rng.Start.Line+4)
	for n := rng.Start.Line; n <= last; n++ {
		fmt.Fprintf(b, "%4d: %s\n", n, strings.TrimRight(lines[n-1], "\r"))
	}
	line := []rune(strings.TrimRight(lines[rng.Start.Line-1], "\r"))
	from := min(max(rng.Start.Column-1, 0), len(line))
	to := len(line)
	if rng.End.Line == rng.Start.Line {
		to = min(max(rng.End.Column-1, from), len(line))
	}
	var pad strings.Builder
	pad.WriteString("      ")
	for _, r := range line[:from] {
		if r == '\t' {
			pad.WriteRune('\t')
		} else {
			pad.WriteRune(' ')
		}
	}
	fmt.Fprintf(b, "%s%s\n", pad.String(), strings.Repeat("^", max(to-from, 1)))
}

// wrap breaks each paragraph of s into lines of at most width characters,
// at spaces.
func wrap(s string, width int) string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		n := 0
		var line strings.Builder
		for i, word := range strings.Fields(para) {
			if i > 0 && n+1+len(word) > width {
				out = append(out, line.String())
				line.Reset()
				n = 0
			} else if i > 0 {
				line.WriteByte(' ')
				n++
			}
			line.WriteString(word)
			n += len(word)
		}
		out = append(out, line.String())
	}
	return strings.Join(out, "\n")
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
