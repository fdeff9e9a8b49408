package bundle

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/forkrl/forkrl/framework/provenance"
)

// FormatVersion is the bundle format this forkrl writes and the newest it reads.
const FormatVersion = 1

// Names of the entries that precede the files in a bundle.
const (
	ManifestName  = "MANIFEST.json"
	SignatureName = "MANIFEST.sig"
)

// Limits a bundle must keep: a larger manifest or file is refused before
// anything is read or written.
const (
	MaxManifestSize = 64 << 20 // bytes of MANIFEST.json
	MaxFileSize     = 64 << 30 // bytes of one file
	MaxTotalSize    = 256 << 30
)

// Folders of a bundle.
const (
	RunDir     = "run"     // the run directory
	DataDir    = "data"    // data files and base checkpoints (with --with-data)
	PluginsDir = "plugins" // external plugin executables and their sources
)

// Manifest is MANIFEST.json, the first entry of a bundle: what the bundle
// holds and where it comes from. Its JSON names are read by other tools.
type Manifest struct {
	Format int    `json:"format"` // FormatVersion of the forkrl that packed it
	Run    string `json:"run"`    // the run's name
	// Environment is what the run ran on, as its settings.json recorded it;
	// nil for a run made before forkrl recorded it.
	Environment *provenance.Environment `json:"environment"`
	// PackedBy is the forkrl that packed the bundle.
	PackedBy provenance.Build `json:"packed_by"`
	// Checkpoints says which of the run's checkpoints are held: none, last or all.
	Checkpoints string `json:"checkpoints"`
	// Data are the fingerprints of every data file, generator and base
	// checkpoint the run read.
	Data []Data `json:"data"`
	// Plugins are the plugins the run loaded.
	Plugins []Plugin `json:"plugins"`
	// Files lists every file of the bundle after the manifest and its
	// signature, in the order they are stored.
	Files []File `json:"files"`
}

// File is one file of a bundle.
type File struct {
	Path   string `json:"path"` // slash-separated, inside the bundle
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Exec   bool   `json:"exec,omitempty"` // an executable (a plugin)
}

// Kinds of data a run reads.
const (
	DataFile       = "file"       // a dataset's file
	DataGenerator  = "generator"  // the problems a built-in generator made
	DataCheckpoint = "checkpoint" // a backend's base checkpoint folder
)

// Data is the fingerprint of something a run read. For a file, SHA256 and
// Size are the file's; for a generator, those of its problems written one
// JSON object a line (train, then eval); for a checkpoint folder, those of
// its listing (one "sha256  path" line per file, sorted) and the sum of its
// file sizes. Records counts the rows of a file, the problems of a
// generator and the files of a checkpoint.
type Data struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"` // the dataset, or the backend's label for a checkpoint
	Path    string `json:"path"` // as the run's settings name it; the generator's name
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Records int    `json:"records"`
	// Bundled is where the bundle holds it (a file or a folder); empty when
	// packed without --with-data, and for generators.
	Bundled string `json:"bundled,omitempty"`
}

// Plugin is a plugin the run loaded.
type Plugin struct {
	Kind     string `json:"kind"`  // backend, verifier or selector
	Type     string `json:"type"`  // the block's first label
	Label    string `json:"label"` // the block's second label
	Name     string `json:"name"`  // from the plugin's Info
	Version  string `json:"version"`
	Protocol int    `json:"protocol"`
	Builtin  bool   `json:"builtin"`
	// Source is the executable as the run's settings name it; empty for a built-in.
	Source string `json:"source,omitempty"`
	// SHA256 is the executable's: the plugin's for an external one, forkrl's
	// (which serves the built-ins) for a built-in.
	SHA256 string `json:"sha256"`
	// Bundled is where the bundle holds the executable; SourceDir, the
	// folder of its Go sources when it was built from this repository's module.
	Bundled   string `json:"bundled,omitempty"`
	SourceDir string `json:"source_dir,omitempty"`
}

// parseManifest decodes and checks a manifest.
func parseManifest(data []byte) (*Manifest, error) {
	var head struct {
		Format *int `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil || head.Format == nil {
		return nil, fmt.Errorf("%s is not a bundle manifest", ManifestName)
	}
	if *head.Format > FormatVersion {
		return nil, fmt.Errorf("the bundle has format %d, made by a newer forkrl; this forkrl reads formats up to %d: update forkrl to read it", *head.Format, FormatVersion)
	}
	if *head.Format < 1 {
		return nil, fmt.Errorf("%s has format %d: not a format forkrl ever wrote", ManifestName, *head.Format)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	seen := map[string]bool{}
	var total int64
	for _, f := range m.Files {
		if err := checkName(f.Path); err != nil {
			return nil, fmt.Errorf("%s: %w", ManifestName, err)
		}
		if seen[f.Path] || f.Path == ManifestName || f.Path == SignatureName {
			return nil, fmt.Errorf("%s lists %s twice", ManifestName, f.Path)
		}
		seen[f.Path] = true
		if f.Size < 0 || f.Size > MaxFileSize {
			return nil, fmt.Errorf("%s declares %s at %d bytes; a bundle file may hold at most %d", ManifestName, f.Path, f.Size, int64(MaxFileSize))
		}
		if total += f.Size; total > MaxTotalSize {
			return nil, fmt.Errorf("%s declares more than %d bytes in all", ManifestName, int64(MaxTotalSize))
		}
		if len(f.SHA256) != 64 {
			return nil, fmt.Errorf("%s: %s has no sha256", ManifestName, f.Path)
		}
	}
	return &m, nil
}

// checkName refuses a path that could land outside the folder a bundle is
// unpacked into: absolute, with "..", backslashes, or not in clean form.
func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, "\\\x00") || path.IsAbs(name) || path.Clean(name) != name ||
		name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "/../") || strings.HasSuffix(name, "/..") {
		return fmt.Errorf("the path %q escapes the bundle's folder: refused", name)
	}
	return nil
}

// File returns the file of the manifest at path.
func (m *Manifest) File(p string) (File, bool) {
	for _, f := range m.Files {
		if f.Path == p {
			return f, true
		}
	}
	return File{}, false
}
