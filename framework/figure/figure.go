// Package figure draws forkrl's charts (line charts of metrics over steps,
// histograms, bar charts) as SVG with gonum/plot, for reports and for the
// figures of forkrl analyze. The SVG has no scripts and references no
// external resource; fonts are named, not embedded.
package figure

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/forkrl/forkrl/framework/analysis"
)

// Size of every figure.
const (
	Width  = 6 * vg.Inch
	Height = 3.6 * vg.Inch
)

// Series is one line of a line chart: Y over X, with an optional error
// bar of SD[i] either side of each point (the spread across seeds).
type Series struct {
	Name string
	X, Y []float64
	SD   []float64
}

// Line is a line chart.
type Line struct {
	Title, XLabel, YLabel string
	Series                []Series
	LogY                  bool
	// YRange, when not {0, 0}, fixes the y axis (it still widens to show
	// every point).
	YRange [2]float64
}

// SVG draws the chart. Points whose X or Y is not finite are left out.
func (l Line) SVG() ([]byte, error) {
	p := newPlot(l.Title, l.XLabel, l.YLabel)
	if l.LogY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{}
	}
	drawn := 0
	for i, s := range l.Series {
		if len(s.X) != len(s.Y) || (s.SD != nil && len(s.SD) != len(s.Y)) {
			return nil, fmt.Errorf("figure %q: series %q has %d x, %d y and %d sd values", l.Title, s.Name, len(s.X), len(s.Y), len(s.SD))
		}
		var xys plotter.XYs
		var errs plotter.YErrors
		for j := range s.X {
			if finite(s.X[j]) && finite(s.Y[j]) && (!l.LogY || s.Y[j] > 0) {
				xys = append(xys, plotter.XY{X: s.X[j], Y: s.Y[j]})
				if s.SD != nil {
					errs = append(errs, struct{ Low, High float64 }{s.SD[j], s.SD[j]})
				}
			}
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		c := palette[i%len(palette)]
		line.Color, points.Color = c, c
		points.Shape, points.Radius = nil, 0
		if len(xys) <= 30 {
			points.Shape, points.Radius = plotutil.Shape(0), vg.Points(2)
		}
		p.Add(line, points)
		if s.SD != nil {
			bars, err := plotter.NewYErrorBars(errorBars{xys, errs})
			if err != nil {
				return nil, err
			}
			bars.Color = c
			p.Add(bars)
		}
		if s.Name != "" {
			p.Legend.Add(s.Name, line)
		}
		drawn++
	}
	if drawn == 0 {
		p.Title.Text += " (no data)"
	}
	if l.YRange != [2]float64{} {
		p.Y.Min, p.Y.Max = math.Min(p.Y.Min, l.YRange[0]), math.Max(p.Y.Max, l.YRange[1])
	}
	if l.LogY && p.Y.Min > 0 && p.Y.Max < p.Y.Min*10 {
		// Gonum's log ticks need a decade to label.
		p.Y.Min, p.Y.Max = p.Y.Min/3, p.Y.Max*3
	}
	return render(p)
}

// palette are the colours of a chart's lines, in order (Tableau 10).
var palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
	color.RGBA{227, 119, 194, 255}, color.RGBA{127, 127, 127, 255}, color.RGBA{188, 189, 34, 255},
	color.RGBA{23, 190, 207, 255},
}

// errorBars pairs points with their errors for plotter.NewYErrorBars.
type errorBars struct {
	plotter.XYs
	plotter.YErrors
}

// Histogram draws h, counts on a log scale when logY (the paper's Fig. 2a).
func Histogram(title, xLabel string, h analysis.Histogram, logY bool) ([]byte, error) {
	p := newPlot(title, xLabel, "tokens")
	hist := &plotter.Histogram{FillColor: color.RGBA{R: 70, G: 110, B: 180, A: 255}, LineStyle: plotter.DefaultLineStyle, LogY: logY}
	for i, c := range h.Counts {
		hist.Bins = append(hist.Bins, plotter.HistogramBin{Min: h.Edges[i], Max: h.Edges[i+1], Weight: float64(c)})
	}
	if len(h.Counts) > 0 {
		hist.Width = h.Edges[1] - h.Edges[0]
	}
	if logY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{}
		p.Y.Label.Text = "tokens (log scale)"
	}
	most := 0
	for _, c := range h.Counts {
		most = max(most, c)
	}
	if most == 0 {
		p.Title.Text += " (no data)"
	} else {
		p.Add(hist)
	}
	if logY {
		// Fixed bounds: gonum's log ticks fail on a range of one value.
		p.Y.Min, p.Y.Max = 0.5, math.Max(2*float64(most), 10)
	}
	return render(p)
}

// Bars is a bar chart of labelled values.
type Bars struct {
	Title, XLabel, YLabel string
	Labels                []string
	Values                []float64
}

// SVG draws the chart.
func (b Bars) SVG() ([]byte, error) {
	if len(b.Labels) != len(b.Values) {
		return nil, fmt.Errorf("figure %q: %d labels for %d values", b.Title, len(b.Labels), len(b.Values))
	}
	p := newPlot(b.Title, b.XLabel, b.YLabel)
	if len(b.Values) == 0 {
		p.Title.Text += " (no data)"
		return render(p)
	}
	bars, err := plotter.NewBarChart(plotter.Values(b.Values), vg.Points(max(4, 300/float64(len(b.Values)))))
	if err != nil {
		return nil, err
	}
	bars.Color = color.RGBA{R: 70, G: 110, B: 180, A: 255}
	p.Add(bars)
	p.NominalX(b.Labels...)
	return render(p) // newPlot's grid, under the bars
}

func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// render draws p as an SVG element (without the XML prelude, so that it
// can be inlined in HTML).
func render(p *plot.Plot) (_ []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("figure %q: drawing failed: %v", p.Title.Text, r)
		}
	}()
	c := vgsvg.New(Width, Height)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	s := b.String()
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return []byte(s), nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
