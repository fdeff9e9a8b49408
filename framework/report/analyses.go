package report

import (
	"fmt"
	"path/filepath"

	"github.com/forkrl/forkrl/framework/analysis"
	"github.com/forkrl/forkrl/framework/figure"
)

// Files of a run directory's analysis folder, written by forkrl analyze
// overlap and grid with --run-dir, and shown by the report.
const (
	AnalysisDir = "analysis"
	OverlapFile = "overlap.json"
	GridFile    = "grid.json"
)

// OverlapFigure draws the top-fraction overlap with the base model over
// the checkpoints' steps (or their order when they have none), starting at
// the base itself (step 0, 100%).
func OverlapFigure(rep analysis.OverlapResult) figure.Line {
	l := figure.Line{Title: fmt.Sprintf("top-%g%% entropy positions shared with the base model", 100*rep.Fraction), XLabel: "step", YLabel: "overlap (%)", YRange: [2]float64{0, 100}}
	ser := figure.Series{X: []float64{0}, Y: []float64{100}}
	for i, pt := range rep.Checkpoints {
		x := float64(pt.Step)
		if pt.Step == 0 {
			x, l.XLabel = float64(i+1), "checkpoint (0: the base)"
		}
		ser.X, ser.Y = append(ser.X, x), append(ser.Y, 100*pt.Overlap)
	}
	l.Series = []figure.Series{ser}
	return l
}

// BinChangeFigure draws the entropy change per base-entropy percentile
// bin, a line per checkpoint.
func BinChangeFigure(rep analysis.OverlapResult) figure.Line {
	l := figure.Line{Title: "entropy change by base-entropy percentile", XLabel: "base-entropy percentile (bin's upper edge, %)", YLabel: "mean entropy change (nats)"}
	for _, pt := range rep.Checkpoints {
		name := filepath.Base(pt.Checkpoint)
		if pt.Step > 0 {
			name = fmt.Sprintf("step %d", pt.Step)
		}
		ser := figure.Series{Name: name}
		for _, b := range pt.Bins {
			ser.X, ser.Y = append(ser.X, 100*b.Hi), append(ser.Y, b.MeanChange)
		}
		l.Series = append(l.Series, ser)
	}
	if len(l.Series) == 1 {
		l.Series[0].Name = ""
	}
	return l
}

// GridFigure draws the accuracy of entropy-gated decoding against t_high,
// a line per t_low, and the accuracy at T = 1 without the gate.
func GridFigure(rep analysis.GridResult) figure.Line {
	l := figure.Line{Title: fmt.Sprintf("entropy-gated decoding (gate at %.3g nats)", rep.Threshold), XLabel: "t_high (temperature above the gate)", YLabel: "accuracy (%)"}
	var lows []float64
	series := map[float64]*figure.Series{}
	lo, hi := 0.0, 0.0
	for i, c := range rep.Cells {
		s, ok := series[c.TLow]
		if !ok {
			s = &figure.Series{Name: fmt.Sprintf("t_low = %g", c.TLow)}
			series[c.TLow] = s
			lows = append(lows, c.TLow)
		}
		s.X, s.Y = append(s.X, c.THigh), append(s.Y, 100*c.Accuracy)
		if i == 0 || c.THigh < lo {
			lo = c.THigh
		}
		hi = max(hi, c.THigh)
	}
	for _, t := range lows {
		l.Series = append(l.Series, *series[t])
	}
	if len(rep.Cells) > 0 {
		l.Series = append(l.Series, figure.Series{Name: "T = 1, no gate", X: []float64{lo, hi}, Y: []float64{100 * rep.Plain, 100 * rep.Plain}})
	}
	return l
}
