package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/forkrl/forkrl/internal/digest"

	"github.com/forkrl/forkrl/internal/atomicfile"
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
	if err := writeManifest(tmp); err != nil {
		return fmt.Errorf("checkpoint of step %d: %w", step, err)
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

// LatestCheckpoint returns the step and directory of the newest intact
// checkpoint; ok is false when there is none. Directories left half-written
// by a killed run are removed. A checkpoint whose files do not match its
// manifest is set aside (renamed damaged-step-NNNNNN), with a message in
// log.txt and to Warn, and the one before it is used; when every checkpoint
// is damaged, LatestCheckpoint fails naming the damaged file.
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
	var damaged []error
	for i := len(steps) - 1; i >= 0; i-- {
		path := filepath.Join(d.Path, CheckpointsDir, stepName(steps[i]))
		verr := VerifyCheckpoint(path)
		if verr == nil {
			for j, derr := range damaged {
				bad := steps[len(steps)-1-j]
				aside := filepath.Join(d.Path, CheckpointsDir, damagedPrefix+stepName(bad))
				if err := os.Rename(filepath.Join(d.Path, CheckpointsDir, stepName(bad)), aside); err != nil {
					return 0, "", false, err
				}
				d.warnf("%v; it is set aside as %s, and the run resumes from the checkpoint of step %d", derr, aside, steps[i])
			}
			return steps[i], path, true, nil
		}
		damaged = append(damaged, verr)
	}
	return 0, "", false, fmt.Errorf("no intact checkpoint to resume from: %w; start a new run", errors.Join(damaged...))
}

// damagedPrefix marks a checkpoint directory set aside as damaged.
const damagedPrefix = "damaged-"

// ManifestFile lists the sha256 of every other file of a checkpoint, in
// sha256sum's format ("HASH  PATH", paths relative to the checkpoint), so
// that `sha256sum -c manifest.sha256` run inside it checks it too.
const ManifestFile = "manifest.sha256"

// writeManifest writes the manifest of the checkpoint in dir.
func writeManifest(dir string) error {
	all, _, err := digest.Tree(dir)
	if err != nil {
		return err
	}
	sums := all[:0]
	for _, s := range all {
		if s.Path != ManifestFile {
			sums = append(sums, s)
		}
	}
	return atomicfile.WriteFile(filepath.Join(dir, ManifestFile), digest.FormatList(sums))
}

// VerifyCheckpoint checks every file of the checkpoint in dir against its
// manifest: present, and with the sha256 written when it was saved. A
// checkpoint without a manifest (saved by an older forkrl) is taken as it is.
func VerifyCheckpoint(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint %s is damaged: %w", dir, err)
	}
	sums, err := digest.ParseList(ManifestFile, data)
	if err != nil {
		return fmt.Errorf("checkpoint %s is damaged: %w", dir, err)
	}
	for _, s := range sums {
		want := s.SHA256
		file := filepath.Join(dir, filepath.FromSlash(s.Path))
		have, err := digest.File(file)
		if err != nil {
			return fmt.Errorf("checkpoint %s is damaged: %w", dir, err)
		}
		if have != want {
			return fmt.Errorf("checkpoint %s is damaged: %s has sha256 %s, its manifest says %s", dir, file, have, want)
		}
	}
	return nil
}

// NewestCheckpointStep returns the step of the newest complete checkpoint
// in the run directory at path, as it is on disk: without verifying it
// (LatestCheckpoint does) and without touching anything.
func NewestCheckpointStep(path string) (int, bool) {
	steps, err := CheckpointSteps(path)
	if err != nil || len(steps) == 0 {
		return 0, false
	}
	return steps[len(steps)-1], true
}

// CheckpointSteps lists the steps of the complete checkpoints of the run
// directory at path, oldest first, as they are on disk (not verified).
func CheckpointSteps(path string) ([]int, error) { return (&Dir{Path: path}).checkpointSteps() }

// CheckpointDir is the folder of the checkpoint of step in the run
// directory at path.
func CheckpointDir(path string, step int) string {
	return filepath.Join(path, CheckpointsDir, stepName(step))
}

// checkpointSteps lists the steps of the complete checkpoints, oldest first.
func (d *Dir) checkpointSteps() ([]int, error) {
	entries, err := os.ReadDir(filepath.Join(d.Path, CheckpointsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var steps []int
	for _, e := range entries {
		if n, ok := ParseStepName(e.Name()); ok && e.IsDir() {
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
