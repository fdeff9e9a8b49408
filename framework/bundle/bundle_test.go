package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// fakeRun writes a run directory with a JSONL dataset and returns its path.
// Paths in its settings are absolute, so packing works from any folder.
func fakeRun(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	data := filepath.Join(root, "problems.jsonl")
	writeTest(t, data, `{"problem":"1 2 3>6:","answer":"1+2+3"}`+"\n"+`{"problem":"2 3 4>24:","answer":"2*3*4"}`+"\n")
	dir := filepath.Join(root, "run")
	settings := map[string]any{
		"name": "fake", "recipe": filepath.Join(root, "fake.hcl"), "dir": root, "seed": 1,
		"datasets": []any{map[string]any{"name": "countdown", "files": []string{data}}},
		"train":    map[string]any{"steps": 2},
	}
	b, _ := json.MarshalIndent(settings, "", "  ")
	writeTest(t, filepath.Join(dir, "settings.json"), string(b))
	writeTest(t, filepath.Join(dir, "recipe.hcl"), "# the recipe\n")
	writeTest(t, filepath.Join(dir, "metrics.jsonl"), `{"step":1,"actor/pg_loss":0.5,"timing_s/step":1.5}`+"\n"+`{"step":2,"actor/pg_loss":0.25,"timing_s/step":1.25}`+"\n")
	writeTest(t, filepath.Join(dir, "eval.jsonl"), `{"step":0,"dataset":"countdown","n":2,"avg_at_n":0.5,"pass_at_k":{"2":0.75},"mean_length":10,"mean_entropy":0.5}`+"\n"+
		`{"step":2,"dataset":"countdown","n":2,"avg_at_n":0.25,"pass_at_k":{"2":0.5},"mean_length":11,"mean_entropy":0.25}`+"\n")
	writeTest(t, filepath.Join(dir, "summary.json"), `{"name":"fake","status":"finished","step":2,"steps":2,"final_eval":{"countdown":{"n":2,"avg_at_n":0.25,"pass_at_k":{"2":0.5}}}}`)
	writeTest(t, filepath.Join(dir, "samples", "step-000001.jsonl"), strings.Repeat(`{"response":"1+2+3"}`+"\n", 50))
	writeTest(t, filepath.Join(dir, "checkpoints", "step-000002", "state.json"), `{"step":2}`)
	writeTest(t, filepath.Join(dir, "plugins", "backend-policy", "cache"), "not packed")
	return dir
}

func writeTest(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pack packs a run directory into a file and returns its path and manifest.
func pack(t *testing.T, dir string, opt PackOptions) (string, *Manifest) {
	t.Helper()
	var b bytes.Buffer
	m, err := Pack(context.Background(), &b, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "b.tar.zst")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, m
}

func TestPackVerifyUnpack(t *testing.T) {
	dir := fakeRun(t)
	file, m := pack(t, dir, PackOptions{WithData: true, Checkpoints: CheckpointsLast})
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
	}
	want := []string{"run/eval.jsonl", "run/metrics.jsonl", "run/recipe.hcl", "run/settings.json", "run/summary.json",
		"run/samples/step-000001.jsonl", "run/checkpoints/step-000002/state.json", "data/countdown/0-problems.jsonl"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v", paths, want)
	}
	if len(m.Data) != 1 || m.Data[0].Records != 2 || m.Data[0].Bundled != "data/countdown/0-problems.jsonl" {
		t.Errorf("data %+v", m.Data)
	}
	if _, _, err := Verify(file); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Unpack(file, out); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"run/samples/step-000001.jsonl", "run/settings.json"} {
		a, _ := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(p, "run/")))
		b, err := os.ReadFile(filepath.Join(out, p))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s unpacked differs (%v)", p, err)
		}
	}
	// Packing the same run again gives the same bytes.
	again, _ := pack(t, dir, PackOptions{WithData: true, Checkpoints: CheckpointsLast})
	a, _ := os.ReadFile(file)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Error("packing the same run twice gave different bundles")
	}
}

// frames returns the offsets where the zstd frames of a bundle start: one
// per entry (the manifest, then each file).
func frames(b []byte) []int {
	var out []int
	for i := 0; i+4 <= len(b); i++ {
		if bytes.Equal(b[i:i+4], []byte{0x28, 0xb5, 0x2f, 0xfd}) {
			out = append(out, i)
		}
	}
	return out
}

func TestVerifyNamesTheDamagedFile(t *testing.T) {
	file, m := pack(t, fakeRun(t), PackOptions{})
	good, _ := os.ReadFile(file)
	starts := append(frames(good), len(good))
	if len(starts) != len(m.Files)+3 { // and the tar trailer's frame, and the end
		t.Fatalf("%d frames for %d files, the manifest and the trailer", len(starts)-1, len(m.Files))
	}
	// Every byte flipped is found, and named: the entry whose frame it hits;
	// only a flip that leaves the content as it was (an unused bit of a
	// frame header) may pass.
	plain := decode(t, good)
	for i := range good {
		entry := 0
		for entry+1 < len(starts) && starts[entry+1] <= i {
			entry++
		}
		name := ManifestName
		if entry > 0 && entry <= len(m.Files) {
			name = m.Files[entry-1].Path
		}
		bad := bytes.Clone(good)
		bad[i] ^= 0x10
		os.WriteFile(file, bad, 0o644)
		_, _, err := Verify(file)
		if err == nil {
			if !bytes.Equal(decode(t, bad), plain) {
				t.Fatalf("byte %d (in %s) flipped: verify found nothing", i, name)
			}
			continue
		}
		if !strings.Contains(err.Error(), name) && entry <= len(m.Files) {
			t.Errorf("byte %d flipped, in %s: %v", i, name, err)
		}
	}
}

// decode decompresses a bundle whole.
func decode(t *testing.T, b []byte) []byte {
	dec, err := zstd.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	out, _ := io.ReadAll(dec)
	return out
}

// entry is one tar entry of a hand-made archive.
type entry struct {
	hdr     tar.Header
	content string
}

// craft writes a tar.zst of a manifest listing files (each with the sha256
// of its content unless set) and the entries given.
func craft(t *testing.T, format int, files []File, entries []entry) string {
	t.Helper()
	m := map[string]any{"format": format, "run": "x", "files": files}
	raw, _ := json.Marshal(m)
	var b bytes.Buffer
	enc, _ := zstd.NewWriter(&b)
	tw := tar.NewWriter(enc)
	all := append([]entry{{tar.Header{Name: ManifestName, Typeflag: tar.TypeReg, Size: int64(len(raw)), Mode: 0o644}, string(raw)}}, entries...)
	for _, e := range all {
		if err := tw.WriteHeader(&e.hdr); err != nil {
			t.Fatal(err)
		}
		if e.hdr.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.content))
		}
	}
	tw.Close()
	enc.Close()
	file := filepath.Join(t.TempDir(), "hostile.tar.zst")
	os.WriteFile(file, b.Bytes(), 0o644)
	return file
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func reg(name, content string) entry {
	return entry{tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(content)), Mode: 0o644}, content}
}

func TestHostileBundles(t *testing.T) {
	good, _ := pack(t, fakeRun(t), PackOptions{})
	whole, _ := os.ReadFile(good)
	truncated := filepath.Join(t.TempDir(), "truncated.tar.zst")
	os.WriteFile(truncated, whole[:len(whole)*2/3], 0o644)
	notZstd := filepath.Join(t.TempDir(), "plain.txt")
	os.WriteFile(notZstd, []byte("hello"), 0o644)
	a := File{Path: "run/a", Size: 2, SHA256: sum("hi")}
	b := File{Path: "run/b", Size: 2, SHA256: sum("ho")}
	huge := reg("run/a", "hi")
	huge.hdr.Size = 1 << 40
	tests := []struct {
		name, file, want string
	}{
		{"truncated", truncated, "truncated"},
		{"not a bundle", notZstd, "not a forkrl bundle"},
		{"newer format", craft(t, FormatVersion+1, []File{a}, []entry{reg("run/a", "hi")}), "newer forkrl"},
		{"a listed file is absent", craft(t, 1, []File{a, b}, []entry{reg("run/b", "ho")}), "lacks run/a, which its manifest lists"},
		{"the last listed file is absent", craft(t, 1, []File{a, b}, []entry{reg("run/a", "hi")}), "lacks run/b"},
		{"an entry escapes with ../", craft(t, 1, []File{a}, []entry{reg("../escaped", "hi")}), `"../escaped" escapes the bundle's folder`},
		{"a nested ../ escape", craft(t, 1, []File{a}, []entry{reg("run/../../escaped", "hi")}), "escapes the bundle's folder"},
		{"an absolute path", craft(t, 1, []File{a}, []entry{reg("/tmp/escaped", "hi")}), "escapes the bundle's folder"},
		{"the manifest lists ../", craft(t, 1, []File{{Path: "../escaped", Size: 2, SHA256: sum("hi")}}, []entry{reg("../escaped", "hi")}), "escapes the bundle's folder"},
		{"a symlink entry", craft(t, 1, []File{{Path: "run/link", Size: 0, SHA256: sum("")}}, []entry{{tar.Header{Name: "run/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, ""}}), "symbolic link"},
		{"a huge declared size", craft(t, 1, []File{a}, []entry{huge}), "declares 1099511627776 bytes, the manifest 2"},
		{"a huge size in the manifest", craft(t, 1, []File{{Path: "run/a", Size: 1 << 50, SHA256: sum("hi")}}, []entry{reg("run/a", "hi")}), "may hold at most"},
		{"an unlisted file", craft(t, 1, []File{a}, []entry{reg("run/a", "hi"), reg("run/extra", "x")}), "run/extra, which its manifest does not list"},
		{"content that does not match", craft(t, 1, []File{a}, []entry{reg("run/a", "ha")}), "run/a does not match the manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Read(tt.file); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read: %v, want an error with %q", err, tt.want)
			}
			parent := t.TempDir()
			dest := filepath.Join(parent, "sub", "out")
			_, err := Unpack(tt.file, dest)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Unpack: %v, want an error with %q", err, tt.want)
			}
			if _, err := os.Stat(dest); !os.IsNotExist(err) {
				t.Errorf("a refused bundle left %s behind", dest)
			}
			left, _ := filepath.Glob(filepath.Join(parent, "*", "*"))
			esc, _ := filepath.Glob(filepath.Join(parent, "*escaped*"))
			if len(left) > 0 || len(esc) > 0 {
				t.Errorf("files written outside the target: %v %v", left, esc)
			}
		})
	}
	if _, err := os.Stat("/tmp/escaped"); err == nil {
		t.Error("/tmp/escaped was written")
	}
}

func TestUnpackRefusesWhatTheDiskCannotHold(t *testing.T) {
	const size = 63 << 30 // within the limit of one file; two of them
	dest := filepath.Join(t.TempDir(), "out")
	if free, ok := freeSpace(filepath.Dir(dest)); !ok || free >= 2*size {
		t.Skipf("the free space (%d bytes, known %v) does not allow the test", free, ok)
	}
	files := []File{{Path: "run/a", Size: size, SHA256: sum("")}, {Path: "run/b", Size: size, SHA256: sum("")}}
	file := craft(t, 1, files, []entry{{tar.Header{Name: "run/a", Typeflag: tar.TypeReg, Size: 0, Mode: 0o644}, ""}})
	_, err := Unpack(file, dest)
	if err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Errorf("Unpack: %v", err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Error("a refused bundle left its folder behind")
	}
}

func TestUnpackRefusesAFolderInUse(t *testing.T) {
	file, _ := pack(t, fakeRun(t), PackOptions{})
	dest := t.TempDir()
	writeTest(t, filepath.Join(dest, "mine.txt"), "keep me")
	if _, err := Unpack(file, dest); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("unpacking into a folder in use: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "mine.txt")); err != nil || string(b) != "keep me" {
		t.Error("the folder's file was touched")
	}
}

func TestSignature(t *testing.T) {
	dir := t.TempDir()
	if err := GenerateKey(filepath.Join(dir, "k.key"), filepath.Join(dir, "k.pub")); err != nil {
		t.Fatal(err)
	}
	priv, err := ReadPrivateKey(filepath.Join(dir, "k.key"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ReadPublicKey(filepath.Join(dir, "k.pub"))
	if err != nil {
		t.Fatal(err)
	}
	file, _ := pack(t, fakeRun(t), PackOptions{Sign: priv})
	c, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckSignature(pub); err != nil {
		t.Errorf("a good signature: %v", err)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if err := c.CheckSignature(other); err == nil {
		t.Error("another key's check passed")
	}
	c.ManifestRaw = bytes.Replace(c.ManifestRaw, []byte(`"fake"`), []byte(`"fakf"`), 1)
	if err := c.CheckSignature(pub); err == nil {
		t.Error("a changed manifest passed the signature check")
	}
	unsigned, _ := pack(t, fakeRun(t), PackOptions{})
	if c, _ := Read(unsigned); c.CheckSignature(pub) == nil {
		t.Error("an unsigned bundle passed the signature check")
	}
}

func TestCompare(t *testing.T) {
	rec, _ := ParseSeries([]byte(`{"step":1,"a":1,"b":2,"timing_s/step":3}
{"step":2,"a":1.5,"b":2,"timing_s/step":3}
`), []byte(`{"step":2,"dataset":"d","n":2,"avg_at_n":0.5}
`))
	same, _ := ParseSeries([]byte(`{"step":1,"a":1,"b":2,"timing_s/step":9}
{"step":2,"a":1.5,"b":2,"timing_s/step":1}
`), []byte(`{"step":2,"dataset":"d","n":2,"avg_at_n":0.5}
`))
	if r := Compare(rec, same, -1); !r.Identical() || r.Values != 6 {
		t.Errorf("identical runs: %+v", r)
	}
	other, _ := ParseSeries([]byte(`{"step":1,"a":1,"b":2}
{"step":2,"a":1.5003,"b":2}
`), []byte(`{"step":2,"dataset":"d","n":2,"avg_at_n":0.25}
`))
	r := Compare(rec, other, -1)
	if r.Identical() || r.FirstStep != 2 || len(r.Diffs) != 2 || r.Diffs[0].Name != "a" || r.Diffs[1].Name != "eval/d/avg_at_n" || r.MaxRel() != 0.5 {
		t.Errorf("runs that part at step 2: %+v", r)
	}
	var out bytes.Buffer
	r.Write(&out)
	if !strings.Contains(out.String(), "tolerance report") || !strings.Contains(out.String(), "part at step 2") {
		t.Errorf("report:\n%s", out.String())
	}
	if r := Compare(rec, other, 1); !r.Identical() {
		t.Errorf("the first step alone: %+v", r)
	}
	short, _ := ParseSeries([]byte(`{"step":1,"a":1,"b":2}`), nil)
	if r := Compare(rec, short, -1); len(r.Problems) == 0 {
		t.Errorf("a replay lacking steps: %+v", r)
	}
}

func TestDiffSettings(t *testing.T) {
	d, err := DiffSettings([]byte(`{"name":"a","selectors":[{"settings":{"rho":0.2}}],"sizes":[3,4]}`),
		[]byte(`{"name":"b","selectors":[{"settings":{"rho":0.1}}],"sizes":[3,4],"extra":true}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []SettingDiff{{"extra", "—", "true"}, {"name", `"a"`, `"b"`}, {"selectors.0.settings.rho", "0.2", "0.1"}}
	if len(d) != len(want) {
		t.Fatalf("diff %v, want %v", d, want)
	}
	for i := range want {
		if d[i] != want[i] {
			t.Errorf("diff %d: %v, want %v", i, d[i], want[i])
		}
	}
}

// TestPackLeavesTheRunAsItIs: packing reads a run that may still be
// training. A checkpoint being written (.tmp-…) stays where it is and is not
// packed, nor is one set aside as damaged; with "last" the newest checkpoint
// whose manifest verifies is packed, and a damaged newer one is left in
// place, not renamed.
func TestPackLeavesTheRunAsItIs(t *testing.T) {
	dir := fakeRun(t)
	inProgress := filepath.Join(dir, "checkpoints", ".tmp-step-000004", "state.json")
	writeTest(t, inProgress, `{"step":4}`)
	writeTest(t, filepath.Join(dir, "checkpoints", "damaged-step-000001", "state.json"), `{"step":1}`)
	damaged := filepath.Join(dir, "checkpoints", "step-000003")
	writeTest(t, filepath.Join(damaged, "state.json"), `{"step":3}`)
	writeTest(t, filepath.Join(damaged, "manifest.sha256"), strings.Repeat("0", 64)+"  state.json\n")
	for _, mode := range []string{CheckpointsLast, CheckpointsAll} {
		files, err := runFiles(dir, mode)
		if err != nil {
			t.Fatal(err)
		}
		var ckpts []string
		for _, f := range files {
			if strings.Contains(f.Path, "/checkpoints/") {
				ckpts = append(ckpts, strings.TrimPrefix(f.Path, RunDir+"/"))
			}
		}
		want := "checkpoints/step-000002/state.json"
		if mode == CheckpointsAll {
			want = "checkpoints/step-000002/state.json checkpoints/step-000003/manifest.sha256 checkpoints/step-000003/state.json"
		}
		sort.Strings(ckpts)
		if got := strings.Join(ckpts, " "); got != want {
			t.Errorf("%s: packed %s, want %s", mode, got, want)
		}
	}
	if _, err := os.Stat(inProgress); err != nil {
		t.Errorf("the checkpoint in progress is gone: %v", err)
	}
	if _, err := os.Stat(damaged); err != nil {
		t.Errorf("the damaged checkpoint was moved: %v", err)
	}
}
