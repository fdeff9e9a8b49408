package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/forkrl/forkrl/internal/digest"

	"github.com/forkrl/forkrl/framework/data"
	"github.com/forkrl/forkrl/framework/pluginapi/generator"
	"github.com/forkrl/forkrl/framework/recipe"
)

// CheckpointSetting is the backend setting that names a base checkpoint
// folder to load at start (tinylm's, and any backend's that follows it).
const CheckpointSetting = "checkpoint"

// Fingerprints returns the fingerprint of everything the run reads, in the
// order Pack records it: each dataset's files (or its generator's
// problems), then each backend's base checkpoint.
func Fingerprints(r *recipe.Config, generators map[string]generator.Generator) ([]Data, error) {
	out, _, err := fingerprintData(r, generators, false)
	return out, err
}

// fingerprintData returns the fingerprints, and the files to pack with
// withData.
func fingerprintData(r *recipe.Config, generators map[string]generator.Generator, withData bool) ([]Data, []source, error) {
	var out []Data
	var files []source
	for _, ds := range r.Datasets {
		if g := ds.Generator; g != nil {
			gen, ok := generators[g.Type]
			if !ok {
				return nil, nil, fmt.Errorf("dataset %q: no built-in generator %q", ds.Name, g.Type)
			}
			train, eval, diags := gen.Generate(g.Settings)
			if err := diags.Err(); err != nil {
				return nil, nil, fmt.Errorf("dataset %q: generator %q: %w", ds.Name, g.Type, err)
			}
			d, err := fingerprintProblems(append(append([]generator.Problem{}, train...), eval...))
			if err != nil {
				return nil, nil, err
			}
			d.Kind, d.Name, d.Path = DataGenerator, ds.Name, g.Type
			out = append(out, d)
			continue
		}
		for i, f := range ds.Files {
			sum, size, err := digest.FileSize(f)
			if err != nil {
				return nil, nil, fmt.Errorf("dataset %q: the data file the run read: %w", ds.Name, err)
			}
			rows, err := data.ReadFile(f, ds.Format)
			if err != nil {
				return nil, nil, fmt.Errorf("dataset %q: %w", ds.Name, err)
			}
			d := Data{Kind: DataFile, Name: ds.Name, Path: f, SHA256: sum, Size: size, Records: len(rows)}
			if withData {
				d.Bundled = bundlePath(DataDir, ds.Name, strconv.Itoa(i)+"-"+filepath.Base(f))
				files = append(files, source{File: File{Path: d.Bundled}, disk: f})
			}
			out = append(out, d)
		}
	}
	for _, b := range r.Backends {
		dir, _ := b.Settings[CheckpointSetting].(string)
		if dir == "" {
			continue
		}
		d, listed, err := fingerprintFolder(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("backend %q: the base checkpoint the run loaded: %w", b.Label, err)
		}
		d.Kind, d.Name, d.Path = DataCheckpoint, b.Label, dir
		if withData {
			d.Bundled = bundlePath(DataDir, "checkpoint-"+b.Label)
			for _, rel := range listed {
				files = append(files, source{File: File{Path: bundlePath(d.Bundled, rel)}, disk: filepath.Join(dir, filepath.FromSlash(rel))})
			}
		}
		out = append(out, d)
	}
	return out, files, nil
}

// fingerprintProblems fingerprints generated problems, one JSON object a line.
func fingerprintProblems(ps []generator.Problem) (Data, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, p := range ps {
		if err := enc.Encode(p); err != nil {
			return Data{}, err
		}
	}
	sum := sha256.Sum256(b.Bytes())
	return Data{SHA256: hex.EncodeToString(sum[:]), Size: int64(b.Len()), Records: len(ps)}, nil
}

// fingerprintFolder fingerprints a folder by the listing of its files
// ("sha256  path" lines, sorted by path) and returns their relative paths.
func fingerprintFolder(dir string) (Data, []string, error) {
	sums, size, err := digest.Tree(dir)
	if err != nil {
		return Data{}, nil, err
	}
	rels := make([]string, len(sums))
	for i, s := range sums {
		rels[i] = s.Path
	}
	sum := sha256.Sum256(digest.FormatList(sums))
	return Data{SHA256: hex.EncodeToString(sum[:]), Size: size, Records: len(rels)}, rels, nil
}
