package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/forkrl/forkrl/internal/atomicfile"
	"github.com/forkrl/forkrl/internal/digest"
	"github.com/forkrl/forkrl/internal/jsondiff"
)

// changesKey is the entry of settings.json that lists the changes a run
// was resumed with (forkrl run --resume --allow-changes).
const changesKey = "resumed_with_changes"

// Changes lists how in differs from the inputs the run was started (or last
// resumed) with: each file of in.Files whose content differs from the run's
// copy, each data file whose sha256 differs, and each setting whose value differs, by its path in settings.json
// ("train.max_response_tokens: 24 -> 20"). None: the run may resume as is.
func (d *Dir) Changes(in Inputs) ([]string, error) {
	var out []string
	for _, name := range sortedNames(in.Files) {
		old, err := os.ReadFile(filepath.Join(d.Path, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out = append(out, fmt.Sprintf("%s: not in the run directory, which was started without it", name))
		case err != nil:
			return nil, err
		case !bytes.Equal(old, in.Files[name]):
			out = append(out, fmt.Sprintf("%s: its content changed", name))
		}
	}
	old, err := d.dataSums()
	if err != nil {
		return nil, err
	}
	if in.Data != nil && old != nil { // a run started before data.sha256 existed recorded none
		for _, f := range sortedKeys(old, in.Data) {
			if old[f] != in.Data[f] {
				out = append(out, fmt.Sprintf("data file %s: sha256 %s -> %s", f, sumText(old[f]), sumText(in.Data[f])))
			}
		}
	}
	oldRaw, err := d.Settings()
	if err != nil {
		return nil, err
	}
	if in.Upgrade != nil {
		if oldRaw, err = in.Upgrade(oldRaw); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(d.Path, SettingsFile), err)
		}
	}
	newRaw, err := json.Marshal(in.Settings)
	if err != nil {
		return nil, fmt.Errorf("encoding the run's settings: %w", err)
	}
	changes, err := jsondiff.Diff(oldRaw, newRaw)
	if err != nil {
		return nil, fmt.Errorf("comparing %s with the settings of the recipe: %w", filepath.Join(d.Path, SettingsFile), err)
	}
	for _, c := range changes {
		if c.Path == changesKey || strings.HasPrefix(c.Path, changesKey+".") {
			continue // the run's record of earlier changes, not a setting
		}
		out = append(out, fmt.Sprintf("setting %s: %s -> %s", c.Path, settingText(c.A), settingText(c.B)))
	}
	return out, nil
}

// AcceptChanges lets a run continue with changed inputs: it writes the new
// files and settings into the run directory, lists the changes in
// settings.json (under "resumed_with_changes", after those of earlier
// resumes) and in log.txt.
func (d *Dir) AcceptChanges(in Inputs, changes []string) error {
	oldRaw, err := d.Settings()
	if err != nil {
		return err
	}
	var old map[string]json.RawMessage
	if err := json.Unmarshal(oldRaw, &old); err != nil {
		return err
	}
	var history [][]string
	if h, ok := old[changesKey]; ok {
		if err := json.Unmarshal(h, &history); err != nil {
			return fmt.Errorf("%s: %s: %w", filepath.Join(d.Path, SettingsFile), changesKey, err)
		}
	}
	newRaw, err := json.Marshal(in.Settings)
	if err != nil {
		return err
	}
	var settings map[string]json.RawMessage
	if err := json.Unmarshal(newRaw, &settings); err != nil {
		return err
	}
	settings[changesKey], _ = json.Marshal(append(history, changes))
	if err := writeInputFiles(d.Path, in); err != nil {
		return err
	}
	data, err := json.MarshalIndent(settings, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(d.Path, SettingsFile), append(data, '\n')); err != nil {
		return err
	}
	return d.Logf("resumed with changes (--allow-changes):\n  %s", strings.Join(changes, "\n  "))
}

// settingText shortens a setting's JSON for a message; absent is "(none)".
func settingText(v string) string {
	switch {
	case v == "":
		return "(none)"
	case len(v) > 80:
		return v[:77] + "..."
	}
	return v
}

// writeInputFiles writes the input files and data fingerprints of a run.
func writeInputFiles(path string, in Inputs) error {
	for _, name := range sortedNames(in.Files) {
		p := filepath.Join(path, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(p, in.Files[name]); err != nil {
			return err
		}
	}
	if in.Data == nil {
		return nil
	}
	var sums []digest.Sum
	for _, f := range sortedKeys(in.Data) {
		sums = append(sums, digest.Sum{SHA256: in.Data[f], Path: f})
	}
	return atomicfile.WriteFile(filepath.Join(path, DataFile), digest.FormatList(sums))
}

// dataSums reads the data fingerprints of the run; nil when it recorded
// none.
func (d *Dir) dataSums() (map[string]string, error) {
	data, err := os.ReadFile(filepath.Join(d.Path, DataFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	list, err := digest.ParseList(filepath.Join(d.Path, DataFile), data)
	if err != nil {
		return nil, err
	}
	sums := map[string]string{}
	for _, s := range list {
		sums[s.Path] = s.SHA256
	}
	return sums, nil
}

func sumText(sum string) string {
	if sum == "" {
		return "(none)"
	}
	return sum[:min(len(sum), 12)]
}

func sortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// sortedKeys returns the keys of the maps, each once, in order.
func sortedKeys(ms ...map[string]string) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}
