package figure

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/analysis"
)

// checkSVG checks that b is one well-formed SVG element with the title.
func checkSVG(t *testing.T, b []byte, title string) {
	t.Helper()
	s := string(b)
	if !strings.HasPrefix(s, "<svg") || !strings.Contains(s, title) {
		t.Fatalf("not an SVG titled %q: %.200s", title, s)
	}
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("%q: malformed SVG: %v", title, err)
			}
			return
		}
	}
}

func TestFigures(t *testing.T) {
	line, err := Line{Title: "accuracy", XLabel: "step", YLabel: "acc", Series: []Series{
		{Name: "a", X: []float64{0, 1, 2}, Y: []float64{0.1, 0.2, 0.3}, SD: []float64{0.01, 0.02, 0.01}},
		{Name: "b", X: []float64{0, 1}, Y: []float64{0.2, 0.1}},
	}}.SVG()
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, line, "accuracy")
	h, _ := analysis.NewHistogram([][]float32{{0, 0, 0.5, 1.9}}, 10, 0, 2)
	hist, err := Histogram("entropy", "nats", h, true)
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, hist, "entropy")
	bars, err := Bars{Title: "overlap", Labels: []string{"x", "y"}, Values: []float64{0.9, 0.8}}.SVG()
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, bars, "overlap")
	empty, err := Line{Title: "nothing"}.SVG()
	if err != nil || !strings.Contains(string(empty), "nothing (no data)") {
		t.Errorf("an empty chart: %v", err)
	}
	if _, err := (Line{Title: "bad", Series: []Series{{X: []float64{1}}}}).SVG(); err == nil {
		t.Error("a series with 1 x and 0 y drawn")
	}
}

// TestLogHistogramOfOneCount draws a log-scale histogram whose bins all
// hold one token, a range gonum's log ticks cannot label by themselves.
func TestLogHistogramOfOneCount(t *testing.T) {
	h, _ := analysis.NewHistogram([][]float32{{0.1, 0.9}}, 4, 0, 1)
	b, err := Histogram("one each", "nats", h, true)
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, b, "one each")
}
