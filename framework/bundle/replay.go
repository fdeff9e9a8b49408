package bundle

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/forkrl/forkrl/internal/digest"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/generator"
	"github.com/forkrl/forkrl/framework/provenance"
	"github.com/forkrl/forkrl/framework/recipe"
)

// PrepareReplay readies the run of a bundle unpacked into dir (see Unpack)
// to be trained again: it makes the run read its recipe and hooks, and the
// data, base checkpoints and plugin executables the bundle holds, from dir;
// then it refuses, naming the file, data whose fingerprint differs from the
// recorded one and an external plugin executable whose sha256 differs from
// the one the run used. A note says when the built-in plugins will run in
// another forkrl executable than the run's, and when a built-in's version
// changed since.
func (m *Manifest) PrepareReplay(ctx context.Context, r *recipe.Config, dir string, generators map[string]generator.Generator) (notes []string, err error) {
	m.pointAt(r, dir)
	if err := m.checkData(r, generators); err != nil {
		return nil, err
	}
	if err := m.checkPlugins(); err != nil {
		return nil, err
	}
	self := provenance.Current()
	if e := m.Environment; e != nil && e.Executable != self.Executable {
		notes = append(notes, fmt.Sprintf("the run's built-in plugins ran in another forkrl executable (sha256 %.12s…; this one's is %.12s…)", e.Executable, self.Executable))
	}
	for _, p := range m.Plugins {
		if !p.Builtin {
			continue
		}
		if now, ok := builtinInfo(ctx, pluginapi.Kind(p.Kind), p.Type); ok && now.Version != p.Version {
			notes = append(notes, fmt.Sprintf("the built-in %s %q was version %s in the run; this forkrl's is %s", p.Kind, p.Type, p.Version, now.Version))
		}
	}
	return notes, nil
}

// pointAt makes the run read its recipe, hooks, and whatever data and
// plugin executables the bundle holds from the bundle unpacked into dir.
func (m *Manifest) pointAt(r *recipe.Config, dir string) {
	at := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
	runDir := at(RunDir)
	r.Recipe, r.Dir = filepath.Join(runDir, "recipe.hcl"), runDir
	if r.Hooks != nil {
		r.Hooks.File = filepath.Join(runDir, "hooks.star")
	}
	for _, d := range m.Data {
		if d.Bundled == "" {
			continue
		}
		switch d.Kind {
		case DataFile:
			if ds, ok := r.Dataset(d.Name); ok {
				for i, f := range ds.Files {
					if f == d.Path {
						ds.Files[i] = at(d.Bundled)
					}
				}
			}
		case DataCheckpoint:
			if b, ok := r.Backend(d.Name); ok {
				b.Settings[CheckpointSetting] = at(d.Bundled)
			}
		}
	}
	for _, p := range m.Plugins {
		if p.Bundled == "" {
			continue
		}
		for _, b := range r.Plugins() {
			if string(b.Kind) == p.Kind && b.Label == p.Label {
				b.Source = at(p.Bundled)
			}
		}
	}
}

// checkData refuses data that differ from the recorded fingerprints,
// naming the file.
func (m *Manifest) checkData(r *recipe.Config, generators map[string]generator.Generator) error {
	now, err := Fingerprints(r, generators)
	if err != nil {
		return fmt.Errorf("refused: %w (relative paths are read from the working folder: replay from the folder the run ran from, or pack the run with --with-data)", err)
	}
	if len(now) != len(m.Data) {
		return fmt.Errorf("refused: the run reads %d data sources, the bundle recorded %d", len(now), len(m.Data))
	}
	for i, d := range m.Data {
		n := now[i]
		if n.SHA256 != d.SHA256 || n.Size != d.Size || n.Records != d.Records {
			return fmt.Errorf("refused: %s %s (dataset or backend %q) is not the data the run read: sha256 %s, %d bytes, %d records; the bundle recorded sha256 %s, %d bytes, %d records (pack with --with-data to carry the data)",
				d.Kind, n.Path, d.Name, n.SHA256, n.Size, n.Records, d.SHA256, d.Size, d.Records)
		}
	}
	return nil
}

// checkPlugins refuses an external plugin, not in the bundle, whose
// executable differs from the one the run used. A bundled one was checked
// against the manifest when unpacked, and the plugin host checks its
// sha256 again before it starts it.
func (m *Manifest) checkPlugins() error {
	for _, p := range m.Plugins {
		if p.Builtin || p.Bundled != "" {
			continue
		}
		sum, err := digest.File(p.Source)
		if err != nil {
			return fmt.Errorf("refused: the %s plugin %q: %w", p.Kind, p.Label, err)
		}
		if sum != p.SHA256 {
			return fmt.Errorf("refused: the %s plugin %q at %s has sha256 %s, the run used %s", p.Kind, p.Label, p.Source, sum, p.SHA256)
		}
	}
	return nil
}
