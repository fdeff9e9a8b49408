// Package torch is forkrl's PyTorch backend: Qwen3 models on CPU or CUDA,
// data parallel over torch.distributed, served by a Python process that
// speaks the forkrl plugin protocol (framework/proto). The Python code lives
// in python/ and is compiled into the forkrl binary, so the built-in
// backend "torch" needs no source or sha256 in a recipe: its code is the
// binary's, checked like every built-in.
//
// When a recipe names the backend, Command unpacks the Python code into
// the user's cache directory (once per version of it, by content hash) and
// starts python/forkrl-torch with the interpreter that FORKRL_PYTHON names,
// else /usr/bin/python3 where it exists, else python3 on PATH. That
// interpreter needs grpcio, protobuf and numpy; the workers that hold the
// model run with the recipe's python setting (default: the same
// interpreter) and need torch. See python/forkrl_torch for the design.
//
// A Hugging Face tokenizer.json is encoded by this binary's `forkrl tokenize`
// (FORKRL_EXE names it; Command sets it to the running executable), so that
// the torch backend gives the same token ids as tinylm.
package torch

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
)

// Name is the plugin's name in recipes.
const Name = "torch"

//go:embed python/forkrl-torch python/forkrl/v1/*.py python/forkrl_plugin/*.py python/forkrl_torch/*.py
var code embed.FS

// Python returns the interpreter that serves the plugin.
func Python() string {
	if p := os.Getenv("FORKRL_PYTHON"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// Command returns the command that serves the plugin, after unpacking its
// Python code.
func Command() (*exec.Cmd, error) {
	dir, err := Unpack()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(Python(), filepath.Join(dir, "forkrl-torch"))
	if os.Getenv("FORKRL_EXE") == "" { // Hugging Face tokenizers are encoded by `forkrl tokenize`
		if exe, err := os.Executable(); err == nil {
			cmd.Env = []string{"FORKRL_EXE=" + exe}
		}
	}
	return cmd, nil
}

// Unpack writes the plugin's Python code into a directory of the user's
// cache named by its content hash (once; later calls find it there) and
// returns that directory.
func Unpack() (string, error) {
	var files []string
	h := sha256.New()
	err := fs.WalkDir(code, "python", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	for _, f := range files {
		b, _ := code.ReadFile(f)
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "forkrl", "torch-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "forkrl-torch")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("cannot unpack the torch backend's Python code: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "unpack-")
	if err != nil {
		return "", fmt.Errorf("cannot unpack the torch backend's Python code: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, f := range files {
		b, _ := code.ReadFile(f)
		dst := filepath.Join(tmp, filepath.FromSlash(f[len("python/"):]))
		mode := os.FileMode(0o644)
		if filepath.Base(f) == "forkrl-torch" {
			mode = 0o755
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(dst, b, mode); err != nil {
			return "", fmt.Errorf("cannot unpack the torch backend's Python code: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "forkrl-torch")); statErr == nil {
			return dir, nil // another process unpacked it first
		}
		return "", fmt.Errorf("cannot unpack the torch backend's Python code: %w", err)
	}
	return dir, nil
}
