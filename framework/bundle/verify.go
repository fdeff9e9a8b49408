package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/forkrl/forkrl/framework/rundir"
)

// The run files a bundle is checked and described by.
var (
	settingsPath = RunDir + "/" + rundir.SettingsFile
	metricsPath  = RunDir + "/" + rundir.MetricsFile
	evalPath     = RunDir + "/" + rundir.EvalFile
	summaryPath  = RunDir + "/" + rundir.SummaryFile
)

// RunFiles are the files of a run that describe it, read into memory.
type RunFiles struct {
	Settings, Metrics, Evals, Summary []byte
}

// Verify reads a bundle whole: every file against the manifest's size and
// sha256, then the run's consistency (see RunFiles.Check). The first file
// that does not match is named.
func Verify(file string) (Contents, RunFiles, error) {
	f, err := os.Open(file)
	if err != nil {
		return Contents{}, RunFiles{}, err
	}
	defer f.Close()
	var rf RunFiles
	dst := map[string]*[]byte{settingsPath: &rf.Settings, metricsPath: &rf.Metrics, evalPath: &rf.Evals, summaryPath: &rf.Summary}
	c, err := walk(f, nil, func(fl File, content io.Reader) error {
		p, ok := dst[fl.Path]
		if !ok {
			return nil
		}
		var err error
		*p, err = readWhole(fl, content)
		return err
	})
	if err == nil {
		err = rf.Check()
	}
	if err != nil {
		return c, rf, fmt.Errorf("%s: %w", file, err)
	}
	return c, rf, nil
}

// ReadRunFiles reads the describing files of a run directory.
func ReadRunFiles(dir string) (RunFiles, error) {
	var rf RunFiles
	for name, p := range map[string]*[]byte{rundir.SettingsFile: &rf.Settings, rundir.MetricsFile: &rf.Metrics, rundir.EvalFile: &rf.Evals, rundir.SummaryFile: &rf.Summary} {
		b, err := os.ReadFile(dir + "/" + name)
		if err != nil && !(os.IsNotExist(err) && name != rundir.SettingsFile) {
			return rf, err
		}
		*p = b
	}
	return rf, nil
}

// ReadBundleRunFiles reads the describing files of a bundle without unpacking it.
func ReadBundleRunFiles(file string) (Contents, RunFiles, error) {
	c, files, err := ReadFiles(file, settingsPath, metricsPath, evalPath, summaryPath)
	return c, RunFiles{Settings: files[settingsPath], Metrics: files[metricsPath], Evals: files[evalPath], Summary: files[summaryPath]}, err
}

// Check checks that a run's files agree: the settings parse as a recipe
// run, the summary's step is the last metrics line's and its steps the
// settings', and a finished run's final evaluation is the evaluation logged
// at its last step.
func (rf RunFiles) Check() error {
	if rf.Settings == nil {
		return fmt.Errorf("the bundle lacks %s", settingsPath)
	}
	r, err := ParseSettings(rf.Settings)
	if err != nil {
		return fmt.Errorf("%s: %w", settingsPath, err)
	}
	if rf.Summary == nil {
		return fmt.Errorf("the bundle lacks %s", summaryPath)
	}
	var sum rundir.Summary
	if err := json.Unmarshal(rf.Summary, &sum); err != nil {
		return fmt.Errorf("%s: %w", summaryPath, err)
	}
	series, err := ParseSeries(rf.Metrics, nil)
	if err != nil {
		return err
	}
	last := 0
	if steps := series.Steps(); len(steps) > 0 {
		last = steps[len(steps)-1]
	}
	if sum.Step != last {
		return fmt.Errorf("%s says step %d, but the last line of %s is step %d", summaryPath, sum.Step, metricsPath, last)
	}
	if sum.Steps != r.Train.Steps {
		return fmt.Errorf("%s says %d steps, %s %d", summaryPath, sum.Steps, settingsPath, r.Train.Steps)
	}
	if sum.Status == rundir.StatusFinished {
		evals, err := ParseSeries(nil, rf.Evals)
		if err != nil {
			return err
		}
		for ds, want := range sum.FinalEval {
			got := evals[sum.Step]
			same := got["eval/"+ds+"/avg_at_n"] == want.AvgAtN
			for k, p := range want.PassAtK {
				same = same && got[fmt.Sprintf("eval/%s/pass_at_k/%d", ds, k)] == p
			}
			if !same {
				return fmt.Errorf("%s: the final evaluation of %s is not the one %s logged at step %d", summaryPath, ds, evalPath, sum.Step)
			}
		}
	}
	return nil
}
