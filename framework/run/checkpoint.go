package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// tmpPrefix marks a checkpoint directory that is still being written.
const tmpPrefix = ".tmp-"

// BeginCheckpoint returns an empty directory to write the checkpoint of a
// step into. The checkpoint counts only once CommitCheckpoint renames it into
// place, so a run killed while saving keeps its previous checkpoint.
func (d *Dir) BeginCheckpoint(step int) (string, error) {
	tmp := filepath.Join(d.Path, CheckpointsDir, tmpPrefix+stepName(step))
	if err := os.RemoveAll(tmp); err != nil {
		return "", err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	return tmp, nil
}

// CommitCheckpoint moves a checkpoint written into the directory from
// BeginCheckpoint into place and removes all but the newest keep checkpoints
// (keep < 1 keeps them all).
func (d *Dir) CommitCheckpoint(step int, tmp string, keep int) error {
	final := filepath.Join(d.Path, CheckpointsDir, stepName(step))
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("committing the checkpoint of step %d: %w", step, err)
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return err
	}
	steps, err := d.checkpointSteps()
	if err != nil || keep < 1 {
		return err
	}
	for len(steps) > keep {
		if err := os.RemoveAll(filepath.Join(d.Path, CheckpointsDir, stepName(steps[0]))); err != nil {
			return err
		}
		steps = steps[1:]
	}
	return nil
}

// LatestCheckpoint returns the step and directory of the newest complete
// checkpoint; ok is false when there is none. Directories left half-written
// by a killed run are removed.
func (d *Dir) LatestCheckpoint() (step int, path string, ok bool, err error) {
	entries, err := os.ReadDir(filepath.Join(d.Path, CheckpointsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, "", false, err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			if err := os.RemoveAll(filepath.Join(d.Path, CheckpointsDir, e.Name())); err != nil {
				return 0, "", false, err
			}
		}
	}
	steps, err := d.checkpointSteps()
	if err != nil || len(steps) == 0 {
		return 0, "", false, err
	}
	step = steps[len(steps)-1]
	return step, filepath.Join(d.Path, CheckpointsDir, stepName(step)), true, nil
}

// checkpointSteps lists the steps of the complete checkpoints, oldest first.
func (d *Dir) checkpointSteps() ([]int, error) {
	entries, err := os.ReadDir(filepath.Join(d.Path, CheckpointsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var steps []int
	for _, e := range entries {
		if n, ok := parseStepName(e.Name()); ok && e.IsDir() {
			steps = append(steps, n)
		}
	}
	sort.Ints(steps)
	return steps, nil
}

// syncDir flushes a directory's entries to disk.
func syncDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
