package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/forkrl/forkrl/framework/analysis"
	"github.com/forkrl/forkrl/framework/figure"
)

// Options choose what a report shows.
type Options struct {
	// Samples is how many rollouts of each run's last saved step the token
	// view shows. Default 8.
	Samples int
	// MinCount: tokens seen fewer times are not ranked by average entropy.
	// Default 5.
	MinCount int
}

// Figure is one chart of a report.
type Figure struct {
	Title string
	SVG   template.HTML
}

// Section is a titled part of a report: figures, then tables.
type Section struct {
	Title   string
	Note    string
	Figures []Figure
	Tables  []Table
}

// Table is a small table of text.
type Table struct {
	Caption string
	Head    []string
	Rows    [][]string
}

// Token is one token of the token view.
type Token struct {
	Text     string
	Entropy  float32
	Selected bool
	Style    template.CSS
}

// Response is one rollout of the token view.
type Response struct {
	Run, Prompt string
	Step        int
	Reward      float64
	Tokens      []Token
}

// page is what the template renders.
type page struct {
	Title     string
	Runs      []*Run
	Warnings  []string
	Sections  []Section
	Responses []Response
	Legend    []Token
	Settings  []Table
}

// Write renders the report of runs as one self-contained HTML page.
func Write(w io.Writer, runs []*Run, opts Options) error {
	if opts.Samples <= 0 {
		opts.Samples = 8
	}
	if opts.MinCount <= 0 {
		opts.MinCount = 5
	}
	p := page{Title: "forkrl report", Runs: runs}
	names := make([]string, len(runs))
	for i, r := range runs {
		names[i] = r.Name
		for _, wmsg := range r.Warnings {
			p.Warnings = append(p.Warnings, r.Name+": "+wmsg)
		}
		p.Settings = append(p.Settings, settingsTable(r))
	}
	p.Title += ": " + strings.Join(names, ", ")
	for _, build := range []func([]*Run, Options) (Section, error){training, evaluation, entropyOverSteps, distribution, checkpoints} {
		s, err := build(runs, opts)
		if err != nil {
			return err
		}
		if len(s.Figures) > 0 || len(s.Tables) > 0 {
			p.Sections = append(p.Sections, s)
		}
	}
	if len(runs) > 1 {
		p.Sections = append(p.Sections, comparison(runs))
	}
	p.Responses, p.Legend = tokenView(runs, opts.Samples)
	return pageTemplate.Execute(w, p)
}

// trainingMetrics are the curves of the training section, by metric name
// and title; select/* metrics follow.
var trainingMetrics = [][2]string{
	{"critic/score/mean", "reward (verifier score, trained batch)"},
	{"rollout/accuracy", "accuracy of all sampled responses"},
	{"actor/entropy", "entropy (mean over response tokens)"},
	{"response_length/mean", "response length (tokens)"},
	{"actor/pg_clipfrac", "clipped fraction"},
}

func training(runs []*Run, _ Options) (Section, error) {
	s := Section{Title: "Training", Note: "From metrics.jsonl, one line per run."}
	names := map[string]bool{}
	for _, r := range runs {
		for _, n := range r.MetricNames() {
			names[n] = true
		}
	}
	metrics := trainingMetrics
	var sel []string
	for n := range names {
		if strings.HasPrefix(n, "select/") {
			sel = append(sel, n)
		}
	}
	sort.Strings(sel)
	for _, n := range sel {
		metrics = append(metrics, [2]string{n, n})
	}
	for _, m := range metrics {
		if !names[m[0]] {
			continue
		}
		l := figure.Line{Title: m[1], XLabel: "step", YLabel: m[0]}
		for _, r := range runs {
			x, y := r.Series(m[0])
			l.Series = append(l.Series, figure.Series{Name: legendName(runs, r), X: x, Y: y})
		}
		if err := s.add(l.Title, l.SVG); err != nil {
			return s, err
		}
	}
	return s, nil
}

// legendName names a run in a legend; a single run needs none.
func legendName(runs []*Run, r *Run) string {
	if len(runs) == 1 {
		return ""
	}
	return r.Name
}

func (s *Section) add(title string, draw func() ([]byte, error)) error {
	b, err := draw()
	if err != nil {
		return err
	}
	s.Figures = append(s.Figures, Figure{Title: title, SVG: template.HTML(b)})
	return nil
}

func evaluation(runs []*Run, _ Options) (Section, error) {
	s := Section{Title: "Evaluation", Note: "Held-out accuracy from eval.jsonl: avg@n (the mean accuracy of the n samples of each problem) and pass@k."}
	var datasets []string
	seen := map[string]bool{}
	for _, r := range runs {
		for _, e := range r.Evals {
			if !seen[e.Dataset] {
				seen[e.Dataset] = true
				datasets = append(datasets, e.Dataset)
			}
		}
	}
	for _, ds := range datasets {
		l := figure.Line{Title: "held-out accuracy on " + ds, XLabel: "step", YLabel: "accuracy"}
		for _, r := range runs {
			var x, avg []float64
			pass := map[int][2][]float64{}
			n := 0
			for _, e := range r.Evals {
				if e.Dataset != ds {
					continue
				}
				x, avg, n = append(x, float64(e.Step)), append(avg, e.AvgAtN), e.N
				for k, v := range e.PassAtK {
					p := pass[k]
					pass[k] = [2][]float64{append(p[0], float64(e.Step)), append(p[1], v)}
				}
			}
			prefix := legendName(runs, r)
			if prefix != "" {
				prefix += " "
			}
			l.Series = append(l.Series, figure.Series{Name: fmt.Sprintf("%savg@%d", prefix, n), X: x, Y: avg})
			ks := make([]int, 0, len(pass))
			for k := range pass {
				ks = append(ks, k)
			}
			sort.Ints(ks)
			for _, k := range ks {
				if k != 1 || n != 1 {
					l.Series = append(l.Series, figure.Series{Name: fmt.Sprintf("%spass@%d", prefix, k), X: pass[k][0], Y: pass[k][1]})
				}
			}
		}
		if err := s.add(l.Title, l.SVG); err != nil {
			return s, err
		}
	}
	return s, nil
}

func entropyOverSteps(runs []*Run, _ Options) (Section, error) {
	s := Section{Title: "Entropy over training", Note: "Percentiles of the token entropies of each step's saved rollouts (samples/)."}
	for _, r := range runs {
		if len(r.Samples) == 0 {
			continue
		}
		pts, err := r.EntropySteps()
		if err != nil {
			return s, err
		}
		l := EntropyStepsChart(r.Name, pts, false)
		if err := s.add(l.Title, l.SVG); err != nil {
			return s, err
		}
	}
	return s, nil
}

// distribution is the entropy distribution of each run's first and last
// saved rollouts, and the tokens with the highest and lowest average entropy.
func distribution(runs []*Run, opts Options) (Section, error) {
	s := Section{Title: "Entropy distribution", Note: "Token entropies of the saved rollouts of the last step (histogram counts on a log scale), and the tokens with the highest and lowest average entropy over all saved rollouts."}
	for _, r := range runs {
		if len(r.Samples) == 0 {
			continue
		}
		last := r.Samples[len(r.Samples)-1]
		var ents [][]float32
		for _, smp := range last.Samples {
			ents = append(ents, smp.Entropies)
		}
		h, err := analysis.NewHistogram(ents, 40, 0, math.Max(analysis.MaxEntropy(ents), 0.1))
		if err != nil {
			return s, err
		}
		title := fmt.Sprintf("entropy of step %d's rollouts: %s", last.Step, r.Name)
		if err := s.add(title, func() ([]byte, error) { return figure.Histogram(title, "entropy (nats)", h, true) }); err != nil {
			return s, err
		}
		var pieces [][]string
		ents = ents[:0]
		for _, ss := range r.Samples {
			for _, smp := range ss.Samples {
				pieces, ents = append(pieces, keys(smp.Pieces)), append(ents, smp.Entropies)
			}
		}
		f, err := analysis.Entropy(pieces, ents, analysis.EntropyOptions{MinCount: opts.MinCount, Listed: 10})
		if err != nil {
			return s, err
		}
		t := Table{Caption: fmt.Sprintf("%s: %d tokens of %d saved rollouts", r.Name, f.Tokens, f.Responses), Head: []string{"figure", "value"}}
		t.Rows = append(t.Rows, []string{"mean entropy", fmt.Sprintf("%.4f", f.Mean)})
		for _, b := range f.Below {
			t.Rows = append(t.Rows, []string{fmt.Sprintf("tokens below %g nats", b.Threshold), fmt.Sprintf("%.2f%%", 100*b.Fraction)})
		}
		for _, q := range f.Quantiles {
			t.Rows = append(t.Rows, []string{fmt.Sprintf("%gth percentile", 100*q.P), fmt.Sprintf("%.4f", q.Value)})
		}
		t.Rows = append(t.Rows, []string{fmt.Sprintf("share of all entropy in the top %g%% of tokens", 100*f.TopFraction), fmt.Sprintf("%.2f%%", 100*f.TopShare)})
		s.Tables = append(s.Tables, t)
		ranked := Table{Caption: fmt.Sprintf("%s: tokens by average entropy (seen at least %d times)", r.Name, f.MinCount), Head: []string{"rank", "highest", "mean", "count", "lowest", "mean", "count"}}
		for i := range max(len(f.Highest), len(f.Lowest)) {
			row := []string{fmt.Sprint(i + 1), "", "", "", "", "", ""}
			if i < len(f.Highest) {
				g := f.Highest[i]
				row[1], row[2], row[3] = fmt.Sprintf("%q", g.Key), fmt.Sprintf("%.3f", g.Mean), fmt.Sprint(g.Count)
			}
			if i < len(f.Lowest) {
				g := f.Lowest[i]
				row[4], row[5], row[6] = fmt.Sprintf("%q", g.Key), fmt.Sprintf("%.3f", g.Mean), fmt.Sprint(g.Count)
			}
			ranked.Rows = append(ranked.Rows, row)
		}
		s.Tables = append(s.Tables, ranked)
	}
	return s, nil
}

// checkpoints shows the analyses of a run's checkpoints that forkrl analyze
// saved in its analysis folder.
func checkpoints(runs []*Run, _ Options) (Section, error) {
	s := Section{Title: "Checkpoints", Note: "Saved by forkrl analyze overlap and grid --run-dir: how the policy's high-entropy positions and entropies moved from the base model on the same responses, and the accuracy of entropy-gated decoding."}
	for _, r := range runs {
		if o := r.Overlap; o != nil {
			ov, bins := OverlapFigure(*o), BinChangeFigure(*o)
			ov.Title += ": " + r.Name
			bins.Title += ": " + r.Name
			if err := s.add(ov.Title, ov.SVG); err != nil {
				return s, err
			}
			if err := s.add(bins.Title, bins.SVG); err != nil {
				return s, err
			}
		}
		if g := r.Grid; g != nil {
			f := GridFigure(*g)
			f.Title += ": " + r.Name
			if err := s.add(f.Title, f.SVG); err != nil {
				return s, err
			}
		}
	}
	return s, nil
}

// keys names tokens by their text; special tokens, which have none, are
// "<special>".
func keys(pieces []string) []string {
	out := make([]string, len(pieces))
	for i, p := range pieces {
		out[i] = p
		if p == "" {
			out[i] = "<special>"
		}
	}
	return out
}

// comparison tabulates the runs' last evaluations.
func comparison(runs []*Run) Section {
	t := Table{Caption: "last evaluation of each run", Head: []string{"run", "steps", "dataset", "step", "avg@n", "pass@k", "mean length"}}
	for _, r := range runs {
		steps := 0
		if len(r.Metrics) > 0 {
			steps = r.Metrics[len(r.Metrics)-1].Step
		}
		last := map[string]EvalLine{}
		var order []string
		for _, e := range r.Evals {
			if _, ok := last[e.Dataset]; !ok {
				order = append(order, e.Dataset)
			}
			last[e.Dataset] = e
		}
		if len(order) == 0 {
			t.Rows = append(t.Rows, []string{r.Name, fmt.Sprint(steps), "", "", "", "", ""})
		}
		for _, ds := range order {
			e := last[ds]
			var pass []string
			for _, k := range e.Ks() {
				pass = append(pass, fmt.Sprintf("@%d %.1f%%", k, 100*e.PassAtK[k]))
			}
			t.Rows = append(t.Rows, []string{r.Name, fmt.Sprint(steps), ds, fmt.Sprint(e.Step), fmt.Sprintf("%.1f%% (n=%d)", 100*e.AvgAtN, e.N), strings.Join(pass, ", "), fmt.Sprintf("%.1f", e.MeanLength)})
		}
	}
	return Section{Title: "Comparison", Note: "The runs side by side; the training and evaluation charts above draw one line per run.", Tables: []Table{t}}
}

// entropyScale is the entropy (nats) at which the token view's colour is
// fullest.
const entropyScale = 1.5

// entropyStyle is the background of a token of entropy h: white at 0,
// deep red from entropyScale up (square-root scale, so that the small
// entropies of most tokens still show).
func entropyStyle(h float32) template.CSS {
	t := math.Sqrt(math.Min(math.Max(float64(h), 0)/entropyScale, 1))
	r := 255 - int(math.Round(t*(255-200)))
	g := 255 - int(math.Round(t*(255-40)))
	b := 255 - int(math.Round(t*(255-40)))
	return template.CSS(fmt.Sprintf("background:rgb(%d,%d,%d)", r, g, b))
}

// tokenView takes the first n rollouts of each run's last saved step.
func tokenView(runs []*Run, n int) ([]Response, []Token) {
	var out []Response
	for _, r := range runs {
		if len(r.Samples) == 0 {
			continue
		}
		last := r.Samples[len(r.Samples)-1]
		for _, smp := range last.Samples[:min(n, len(last.Samples))] {
			resp := Response{Run: r.Name, Prompt: smp.Prompt, Step: last.Step, Reward: smp.Reward}
			for j, piece := range smp.Pieces {
				tok := Token{Text: piece, Entropy: smp.Entropies[j], Style: entropyStyle(smp.Entropies[j])}
				if piece == "" {
					tok.Text = "∎"
				}
				tok.Selected = smp.Weights != nil && smp.Weights[j] > 0
				resp.Tokens = append(resp.Tokens, tok)
			}
			out = append(out, resp)
		}
	}
	var legend []Token
	for _, h := range []float32{0, 0.01, 0.1, 0.3, 0.6, 1, 1.5} {
		legend = append(legend, Token{Text: fmt.Sprintf("%g", h), Entropy: h, Style: entropyStyle(h)})
	}
	return out, legend
}

// settingsTable lists a run's settings, flattened to dotted names.
func settingsTable(r *Run) Table {
	t := Table{Caption: r.Name + " (" + r.Path + ")", Head: []string{"setting", "value"}}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			ks := make([]string, 0, len(x))
			for k := range x {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			for _, k := range ks {
				walk(strings.TrimPrefix(prefix+"."+k, "."), x[k])
			}
		default:
			b, _ := json.Marshal(x)
			t.Rows = append(t.Rows, []string{prefix, string(b)})
		}
	}
	if r.Settings != nil {
		walk("", r.Settings)
	}
	return t
}

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 1300px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
.note { color: #555; }
.warnings { background: #fff4e0; border: 1px solid #e0a040; padding: .5em 1em; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
figure.chart { margin: 0; border: 1px solid #eee; }
figure.chart svg { display: block; width: 540px; height: auto; }
table { border-collapse: collapse; margin: 1em 0; font-size: .9em; }
td, th { border: 1px solid #ddd; padding: .2em .5em; text-align: left; }
caption { text-align: left; font-weight: bold; padding: .3em 0; }
.response { font-family: monospace; white-space: pre-wrap; margin: .5em 0 1em; line-height: 1.9; }
.response .prompt { color: #666; }
span.tok { padding: 1px 0; }
span.tok.sel { border-bottom: 3px solid #1f4fbf; }
details { margin: .5em 0; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{len .Runs}} run{{if gt (len .Runs) 1}}s{{end}}:{{range .Runs}} <code>{{.Path}}</code>{{end}}</p>
{{if .Warnings}}<div class="warnings"><p>Some of the runs' files could not be read; the report shows the rest:</p><ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul></div>{{end}}
<h2>Settings</h2>
{{range .Settings}}<details><summary>{{.Caption}}</summary>{{template "table" .}}</details>{{end}}
{{range .Sections}}
<h2>{{.Title}}</h2>
{{if .Note}}<p class="note">{{.Note}}</p>{{end}}
<div class="figures">{{range .Figures}}<figure class="chart" data-title="{{.Title}}">{{.SVG}}</figure>{{end}}</div>
{{range .Tables}}{{template "table" .}}{{end}}
{{end}}
{{if .Responses}}
<h2>Token view</h2>
<p class="note">Rollouts of the last saved step, each token coloured by its entropy; the tokens the selector trained on are underlined.</p>
<p id="legend">entropy (nats): {{range .Legend}}<span class="key" style="{{.Style}}">&nbsp;{{.Text}}&nbsp;</span> {{end}}
&nbsp; <span class="key sel-key" style="border-bottom:3px solid #1f4fbf">&nbsp;selected&nbsp;</span></p>
{{range .Responses}}<div class="response" data-run="{{.Run}}"><span class="prompt">{{.Run}} step {{.Step}}, reward {{printf "%.2f" .Reward}}: {{.Prompt}}</span><br>{{range .Tokens}}<span class="tok{{if .Selected}} sel{{end}}" style="{{.Style}}" title="{{printf "%.4f" .Entropy}}">{{.Text}}</span>{{end}}</div>
{{end}}{{end}}
</body>
</html>
{{define "table"}}<table>{{if .Caption}}<caption>{{.Caption}}</caption>{{end}}<tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{end}}
`))
