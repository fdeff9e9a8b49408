package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// Series are the values a run logged, by step and name: the metrics lines,
// and the evaluation lines as "eval/DATASET/FIELD" (avg_at_n, pass_at_k/K, …).
type Series map[int]map[string]float64

// ParseSeries reads metrics.jsonl and eval.jsonl (either may be empty).
func ParseSeries(metrics, evals []byte) (Series, error) {
	s := Series{}
	for i, line := range bytes.Split(metrics, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m map[string]*float64
		if err := json.Unmarshal(line, &m); err != nil || m["step"] == nil {
			return nil, fmt.Errorf("metrics.jsonl:%d: not a metrics line", i+1)
		}
		step := int(*m["step"])
		for k, v := range m {
			if k != "step" {
				s.set(step, k, v)
			}
		}
	}
	for i, line := range bytes.Split(evals, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("eval.jsonl:%d: not an evaluation line", i+1)
		}
		step, ok1 := e["step"].(float64)
		ds, ok2 := e["dataset"].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("eval.jsonl:%d: an evaluation line needs a step and a dataset", i+1)
		}
		for k, v := range e {
			switch v := v.(type) {
			case float64:
				if k != "step" {
					s.set(int(step), "eval/"+ds+"/"+k, &v)
				}
			case map[string]any: // pass_at_k: k → estimate
				for sub, w := range v {
					if f, ok := w.(float64); ok {
						s.set(int(step), "eval/"+ds+"/"+k+"/"+sub, &f)
					}
				}
			}
		}
	}
	return s, nil
}

func (s Series) set(step int, name string, v *float64) {
	if s[step] == nil {
		s[step] = map[string]float64{}
	}
	if v == nil {
		s[step][name] = math.NaN()
	} else {
		s[step][name] = *v
	}
}

// Steps returns the steps of the series in order.
func (s Series) Steps() []int {
	steps := make([]int, 0, len(s))
	for st := range s {
		steps = append(steps, st)
	}
	sort.Ints(steps)
	return steps
}

// timing reports whether a value measures time, which no replay reproduces.
func timing(name string) bool {
	return strings.HasPrefix(name, "timing_s/") || name == "perf/throughput"
}

// Difference is how one value parted between a record and its replay.
type Difference struct {
	Name      string
	MaxRel    float64 // the largest |a−b| / max(|a|,|b|) over the steps compared
	MaxStep   int     // where it was largest
	FirstStep int     // the first step where the values differ
}

// Report is the comparison of a replay with its record.
type Report struct {
	Steps     int          // the steps compared (0 to the last step, evaluations included)
	Values    int          // the values compared
	FirstStep int          // the first step where any value differs; -1: none
	Diffs     []Difference // the values that differ, by name
	Problems  []string     // lines or values one side lacks
}

// Identical reports whether every value compared is equal and neither side lacks one.
func (r Report) Identical() bool { return len(r.Diffs) == 0 && len(r.Problems) == 0 }

// Compare compares a replay's values with the record's at every recorded
// step up to last (all when last < 0), timing values left out. An
// evaluation the replay made at a step the record has none is ignored.
func Compare(recorded, replayed Series, last int) Report {
	rep := Report{FirstStep: -1}
	diffs := map[string]*Difference{}
	for _, step := range recorded.Steps() {
		if last >= 0 && step > last {
			break
		}
		rep.Steps++
		got, ok := replayed[step]
		if !ok {
			rep.Problems = append(rep.Problems, fmt.Sprintf("the replay has no values at step %d", step))
			continue
		}
		want := recorded[step]
		for _, name := range sortedKeys(want) {
			if timing(name) {
				continue
			}
			a := want[name]
			b, ok := got[name]
			if !ok {
				rep.Problems = append(rep.Problems, fmt.Sprintf("step %d: the replay lacks %s", step, name))
				continue
			}
			rep.Values++
			if a == b || (math.IsNaN(a) && math.IsNaN(b)) {
				continue
			}
			rel := relDiff(a, b)
			d := diffs[name]
			if d == nil {
				d = &Difference{Name: name, FirstStep: step, MaxRel: -1}
				diffs[name] = d
			}
			if rel > d.MaxRel {
				d.MaxRel, d.MaxStep = rel, step
			}
			if rep.FirstStep < 0 || step < rep.FirstStep {
				rep.FirstStep = step
			}
		}
		for _, name := range sortedKeys(got) {
			if _, ok := want[name]; !ok && !timing(name) {
				rep.Problems = append(rep.Problems, fmt.Sprintf("step %d: the replay logs %s, which the record lacks", step, name))
			}
		}
	}
	for _, name := range sortedKeys(diffs) {
		rep.Diffs = append(rep.Diffs, *diffs[name])
	}
	return rep
}

// relDiff is |a−b| / max(|a|,|b|); +Inf when one side is NaN or infinite.
func relDiff(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return math.Inf(1)
	}
	return math.Abs(a-b) / max(math.Abs(a), math.Abs(b))
}

// MaxRel is the largest relative difference of the report.
func (r Report) MaxRel() float64 {
	m := 0.0
	for _, d := range r.Diffs {
		m = max(m, d.MaxRel)
	}
	return m
}

// Write prints the report: one line when identical, else the tolerance
// report (the first step where the runs part, and the largest relative
// difference of each value that differs, largest first).
func (r Report) Write(w io.Writer) {
	if r.Identical() {
		fmt.Fprintf(w, "identical: %d values at %d steps (timing left out)\n", r.Values, r.Steps)
		return
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	if len(r.Diffs) == 0 {
		return
	}
	fmt.Fprintf(w, "tolerance report: %d of the values compared differ; the runs part at step %d; largest relative difference %.3g\n", len(r.Diffs), r.FirstStep, r.MaxRel())
	ds := append([]Difference{}, r.Diffs...)
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].MaxRel > ds[j].MaxRel })
	width := 0
	for _, d := range ds {
		width = max(width, len(d.Name))
	}
	fmt.Fprintf(w, "  %-*s  %12s  %8s  %10s\n", width, "value", "max rel diff", "at step", "first step")
	for _, d := range ds {
		fmt.Fprintf(w, "  %-*s  %12.3g  %8d  %10d\n", width, d.Name, d.MaxRel, d.MaxStep, d.FirstStep)
	}
}
