package bundle

import (
	"archive/tar"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/forkrl/forkrl/internal/digest"

	"github.com/klauspost/compress/zstd"

	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/generator"
	"github.com/forkrl/forkrl/framework/provenance"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
)

// Which checkpoints of the run a bundle holds.
const (
	CheckpointsNone = "none"
	CheckpointsLast = "last"
	CheckpointsAll  = "all"
)

// PackOptions say what a bundle holds beyond the run's logs and inputs.
type PackOptions struct {
	// WithData includes the data files and base checkpoints the run read
	// (their fingerprints are recorded in any case).
	WithData bool
	// Checkpoints is CheckpointsNone, CheckpointsLast or CheckpointsAll.
	Checkpoints string
	// Generators are the built-in dataset generators, to fingerprint the
	// problems a generated dataset holds.
	Generators map[string]generator.Generator
	// Sign, when not nil, signs the manifest (MANIFEST.sig).
	Sign ed25519.PrivateKey
}

// source is a file to pack: where it is on disk and what the manifest says.
type source struct {
	File
	disk string
}

// Pack writes a bundle of the run directory runDir to w: the manifest, then
// every file. It must run from the folder the run ran from, so that the
// data and plugin paths its settings name lead to the same files; a file
// that changed since the run (a plugin whose sha256 differs) is refused.
func Pack(ctx context.Context, w io.Writer, runDir string, opt PackOptions) (*Manifest, error) {
	if opt.Checkpoints == "" {
		opt.Checkpoints = CheckpointsNone
	}
	settings, err := os.ReadFile(filepath.Join(runDir, rundir.SettingsFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a run directory: %w", runDir, err)
	}
	r, err := ParseSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(runDir, rundir.SettingsFile), err)
	}
	m := &Manifest{Format: FormatVersion, Run: r.Name, PackedBy: provenance.CurrentBuild(), Checkpoints: opt.Checkpoints}
	if env, ok, err := provenance.FromSettings(settings); err != nil {
		return nil, err
	} else if ok {
		m.Environment = &env
	}
	files, err := runFiles(runDir, opt.Checkpoints)
	if err != nil {
		return nil, err
	}
	data, dataFiles, err := fingerprintData(r, opt.Generators, opt.WithData)
	if err != nil {
		return nil, fmt.Errorf("%w (relative paths are read from the working folder: pack from the folder the run ran from)", err)
	}
	m.Data = data
	files = append(files, dataFiles...)
	plugins, pluginFiles, err := describePlugins(ctx, r, m.Environment)
	if err != nil {
		return nil, err
	}
	m.Plugins = plugins
	files = append(files, pluginFiles...)
	for i := range files {
		if files[i].SHA256, files[i].Size, err = digest.FileSize(files[i].disk); err != nil {
			return nil, err
		}
		m.Files = append(m.Files, files[i].File)
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	raw = append(raw, '\n')
	if err := write(w, raw, opt.Sign, files); err != nil {
		return nil, err
	}
	return m, nil
}

// ParseSettings reads a run's settings.json as a recipe run, brought to the
// current format when an earlier forkrl recorded it (recipe.UpgradeSettings).
func ParseSettings(settings []byte) (*recipe.Config, error) {
	settings, err := recipe.UpgradeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("the settings do not parse as a recipe run: %w", err)
	}
	var r recipe.Config
	if err := json.Unmarshal(settings, &r); err != nil {
		return nil, fmt.Errorf("the settings do not parse as a recipe run: %w", err)
	}
	if r.Name == "" || r.Train.Steps <= 0 || len(r.Datasets) == 0 {
		return nil, fmt.Errorf("the settings do not parse as a recipe run: no name, steps or datasets")
	}
	return &r, nil
}

// runFiles lists the run directory's files to pack: everything but the
// plugins' working folders, temporary files, and the checkpoints the
// option leaves out.
func runFiles(dir, checkpoints string) ([]source, error) {
	var keep map[string]bool // checkpoint folders packed; nil: all
	switch checkpoints {
	case CheckpointsAll:
	case CheckpointsNone, CheckpointsLast:
		keep = map[string]bool{}
		if checkpoints == CheckpointsLast {
			last, err := newestIntactCheckpoint(dir)
			if err != nil {
				return nil, err
			}
			if last != "" {
				keep[last] = true
			}
		}
	default:
		return nil, fmt.Errorf("checkpoints %q: want none, last or all", checkpoints)
	}
	var out []source
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		parts := strings.Split(rel, "/")
		if d.IsDir() {
			switch {
			case rel == "plugins":
				return fs.SkipDir
			case len(parts) == 2 && parts[0] == rundir.CheckpointsDir:
				if _, isStep := rundir.ParseStepName(parts[1]); !isStep || keep != nil && !keep[parts[1]] {
					return fs.SkipDir // one being written, one set aside as damaged, or one left out
				}
			}
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") && strings.Contains(d.Name(), ".tmp-") {
			return nil // a write in progress (atomicfile)
		}
		if rel == rundir.LockFile {
			return nil // the lock of the process that trains the run: not part of it
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file: a bundle holds only regular files", p)
		}
		out = append(out, source{File: File{Path: RunDir + "/" + rel}, disk: p})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The run's own files first, so that inspect reads them without
	// reading through samples and checkpoints.
	sort.SliceStable(out, func(i, j int) bool {
		return strings.Count(out[i].Path, "/") < strings.Count(out[j].Path, "/")
	})
	return out, nil
}

// newestIntactCheckpoint returns the folder name of the newest checkpoint of
// the run directory dir that its manifest verifies ("" when there is none),
// reading only: packing may run beside the process that trains the run, so
// it neither removes checkpoints in progress nor sets damaged ones aside as
// a resume does (rundir.Dir.LatestCheckpoint).
func newestIntactCheckpoint(dir string) (string, error) {
	steps, err := rundir.CheckpointSteps(dir)
	if err != nil {
		return "", err
	}
	var damaged []error
	for i := len(steps) - 1; i >= 0; i-- {
		path := rundir.CheckpointDir(dir, steps[i])
		if err := rundir.VerifyCheckpoint(path); err != nil {
			damaged = append(damaged, err)
			continue
		}
		return filepath.Base(path), nil
	}
	if len(damaged) > 0 {
		return "", fmt.Errorf("no intact checkpoint to pack: %w", errors.Join(damaged...))
	}
	return "", nil
}

// describePlugins records every plugin block of the run, and lists the
// executables (and Go sources) of the external ones to pack.
func describePlugins(ctx context.Context, r *recipe.Config, env *provenance.Environment) ([]Plugin, []source, error) {
	var out []Plugin
	var files []source
	for _, b := range r.Plugins() {
		p := Plugin{Kind: string(b.Kind), Type: b.Type, Label: b.Label, Source: b.Source}
		if b.Source == "" {
			info, ok := builtinInfo(ctx, b.Kind, b.Type)
			if !ok {
				return nil, nil, fmt.Errorf("the run used the built-in %s %q, which this forkrl lacks", b.Kind, b.Type)
			}
			p.Builtin, p.Name, p.Version, p.Protocol = true, info.Name, info.Version, info.Protocol
			if env != nil {
				p.SHA256 = env.Executable
			}
			out = append(out, p)
			continue
		}
		sum, err := digest.File(b.Source)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %q: the plugin executable the run used: %w", b.Kind, b.Label, err)
		}
		if sum != b.SHA256 {
			return nil, nil, fmt.Errorf("%s %q: the plugin executable %s changed since the run: its sha256 is %s, the run checked %s", b.Kind, b.Label, b.Source, sum, b.SHA256)
		}
		p.SHA256 = sum
		info, err := plugin.Inspect(ctx, plugin.Spec{Kind: b.Kind, Name: b.Type, Label: b.Label, Source: b.Source, SHA256: sum, Log: io.Discard, StartTimeout: time.Minute})
		if err != nil {
			return nil, nil, err
		}
		p.Name, p.Version, p.Protocol = info.Name, info.Version, info.Protocol
		folder := PluginsDir + "/" + string(b.Kind) + "-" + b.Label
		p.Bundled = folder + "/" + filepath.Base(b.Source)
		files = append(files, source{File: File{Path: p.Bundled, Exec: true}, disk: b.Source})
		if src := moduleSource(b.Source); src != "" {
			p.SourceDir = folder + "/src"
			entries, err := os.ReadDir(src)
			if err != nil {
				return nil, nil, err
			}
			for _, e := range entries {
				if e.Type().IsRegular() {
					files = append(files, source{File: File{Path: p.SourceDir + "/" + e.Name()}, disk: filepath.Join(src, e.Name())})
				}
			}
		}
		out = append(out, p)
	}
	return out, files, nil
}

// builtinInfo returns the Info of a built-in plugin; ok is false when
// this forkrl has none of that kind and name.
func builtinInfo(ctx context.Context, kind pluginapi.Kind, name string) (info pluginapi.Info, ok bool) {
	b, ok := plugin.LookupBuiltin(kind, name)
	if !ok {
		return info, false
	}
	info.Name = name
	if got, described, err := b.Describe(ctx); described && err == nil {
		info = got
	}
	return info, true
}

// moduleSource returns the folder of a plugin executable's main package
// when it was built from the module of this forkrl and the folder is found
// above the working directory; "" otherwise.
func moduleSource(exe string) string {
	info, err := buildinfo.ReadFile(exe)
	module := provenance.CurrentBuild().Module
	if err != nil || module == "" || info.Main.Path != module {
		return ""
	}
	rel, ok := strings.CutPrefix(info.Path, module+"/")
	if !ok {
		return ""
	}
	dir, err := os.Getwd()
	for err == nil {
		if mod, rerr := os.ReadFile(filepath.Join(dir, "go.mod")); rerr == nil && strings.HasPrefix(string(mod), "module "+module+"\n") {
			if st, serr := os.Stat(filepath.Join(dir, filepath.FromSlash(rel))); serr == nil && st.IsDir() {
				return filepath.Join(dir, filepath.FromSlash(rel))
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	return ""
}

// epoch is the modification time of every entry, so that packing the same
// files twice gives the same bytes.
var epoch = time.Unix(0, 0).UTC()

// write streams the bundle: the manifest, the signature, then every file,
// each entry in its own zstd frame so that damage is found in the entry it
// hits. A file whose content changed since it was hashed is refused.
func write(w io.Writer, manifest []byte, key ed25519.PrivateKey, files []source) error {
	enc, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithWindowSize(8<<20))
	if err != nil {
		return err
	}
	tw := tar.NewWriter(enc)
	// next ends the current entry's frame and starts the next.
	next := func() error {
		if err := tw.Flush(); err != nil {
			return err
		}
		if err := enc.Close(); err != nil {
			return err
		}
		enc.Reset(w)
		return nil
	}
	entry := func(name string, size int64, exec bool) error {
		mode := int64(0o644)
		if exec {
			mode = 0o755
		}
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: mode, ModTime: epoch, Format: tar.FormatPAX})
	}
	small := func(name string, data []byte) error {
		if err := entry(name, int64(len(data)), false); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
		return next()
	}
	if err := small(ManifestName, manifest); err != nil {
		return err
	}
	if key != nil {
		sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, manifest)) + "\n"
		if err := small(SignatureName, []byte(sig)); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := entry(f.Path, f.Size, f.Exec); err != nil {
			return err
		}
		in, err := os.Open(f.disk)
		if err != nil {
			return err
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(tw, h), io.LimitReader(in, f.Size+1))
		in.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.disk, err)
		}
		if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
			return fmt.Errorf("%s changed while it was packed: pack a run that is not running", f.disk)
		}
		if err := next(); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return enc.Close()
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// bundlePath joins slash-separated parts of a path inside a bundle.
func bundlePath(parts ...string) string { return path.Join(parts...) }
