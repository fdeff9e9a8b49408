package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/klauspost/compress/zstd"
)

// Contents is what reading a bundle found before its files: the manifest,
// its bytes as stored (what a signature signs) and the signature, if any.
type Contents struct {
	Manifest    *Manifest
	ManifestRaw []byte
	Signature   []byte // nil: unsigned
}

// visitFunc sees one file of a bundle while it is read; content yields
// exactly f.Size bytes, checked against f.SHA256 once read. Returning
// errStop ends the reading early without error.
type visitFunc func(f File, content io.Reader) error

// errStop ends a walk early: the visitor has what it wanted.
var errStop = errors.New("stop")

// walk reads a bundle stream and checks it against its manifest as it goes:
// the manifest comes first, then the optional signature, then every listed
// file in the manifest's order, each a regular file of the declared size
// and sha256, nothing else. visit, when not nil, sees each file's content
// (and must not keep the reader); start, when not nil, sees the manifest
// before any file is read. The first file that fails is named.
func walk(r io.Reader, start func(*Manifest) error, visit visitFunc) (Contents, error) {
	var c Contents
	dec, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(64<<20), zstd.WithDecoderLowmem(true))
	if err != nil {
		return c, err
	}
	defer dec.Close()
	tr := tar.NewReader(dec)

	// The manifest and the signature.
	hdr, err := tr.Next()
	if err != nil {
		return c, fmt.Errorf("not a forkrl bundle (a zstd-compressed tar starting with %s): %w", ManifestName, readError(err))
	}
	if hdr.Name != ManifestName {
		return c, fmt.Errorf("not a forkrl bundle: its first entry is %q, not %s", hdr.Name, ManifestName)
	}
	if c.ManifestRaw, err = readSmall(tr, hdr, MaxManifestSize); err != nil {
		return c, err
	}
	if c.Manifest, err = parseManifest(c.ManifestRaw); err != nil {
		return c, err
	}
	if start != nil {
		if err := start(c.Manifest); err != nil {
			return c, err
		}
	}
	m := c.Manifest
	hdr, err = tr.Next()
	if err == nil && hdr.Name == SignatureName {
		if c.Signature, err = readSmall(tr, hdr, 1<<10); err != nil {
			return c, err
		}
		hdr, err = tr.Next()
	}

	// The files, in the manifest's order.
	for i, f := range m.Files {
		if err == io.EOF {
			return c, fmt.Errorf("the bundle lacks %s, which its manifest lists (%d of %d files present): it is truncated or incomplete", f.Path, i, len(m.Files))
		}
		if err != nil {
			return c, fmt.Errorf("%s: the bundle is damaged or truncated where this file starts: %w", f.Path, readError(err))
		}
		if hdr.Name != f.Path {
			if err := checkName(hdr.Name); err != nil {
				return c, err
			}
			if _, listed := m.File(hdr.Name); listed {
				return c, fmt.Errorf("the bundle lacks %s, which its manifest lists (found %s in its place)", f.Path, hdr.Name)
			}
			return c, fmt.Errorf("the bundle holds %s, which its manifest does not list", hdr.Name)
		}
		if err := checkHeader(hdr); err != nil {
			return c, err
		}
		if hdr.Size != f.Size {
			return c, fmt.Errorf("%s: the archive declares %d bytes, the manifest %d: refused", f.Path, hdr.Size, f.Size)
		}
		h := sha256.New()
		content := io.TeeReader(tr, h)
		if visit != nil {
			if err := visit(f, content); err == errStop {
				return c, nil
			} else if err != nil {
				return c, err
			}
		}
		if _, err := io.Copy(io.Discard, content); err != nil {
			return c, damaged(f, err)
		}
		if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
			return c, fmt.Errorf("%s does not match the manifest: its sha256 is %s, the manifest says %s", f.Path, sum, f.SHA256)
		}
		hdr, err = tr.Next()
	}
	switch {
	case err == nil:
		if e := checkName(hdr.Name); e != nil {
			return c, e
		}
		return c, fmt.Errorf("the bundle holds %s, which its manifest does not list", hdr.Name)
	case err != io.EOF:
		return c, fmt.Errorf("the bundle is damaged or truncated after its last file: %w", readError(err))
	}
	return c, nil
}

// checkHeader refuses an entry that is not a plain file with a safe name.
func checkHeader(hdr *tar.Header) error {
	if err := checkName(hdr.Name); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeReg:
		return nil
	case tar.TypeSymlink:
		return fmt.Errorf("%s is a symbolic link (to %q): a bundle holds only regular files; refused", hdr.Name, hdr.Linkname)
	case tar.TypeLink:
		return fmt.Errorf("%s is a hard link (to %q): a bundle holds only regular files; refused", hdr.Name, hdr.Linkname)
	default:
		return fmt.Errorf("%s is not a regular file (tar type %q): refused", hdr.Name, hdr.Typeflag)
	}
}

// readSmall reads a small entry whole, refusing one larger than limit.
func readSmall(tr *tar.Reader, hdr *tar.Header, limit int64) ([]byte, error) {
	if err := checkHeader(hdr); err != nil {
		return nil, err
	}
	if hdr.Size > limit {
		return nil, fmt.Errorf("%s declares %d bytes, more than the %d it may hold: refused", hdr.Name, hdr.Size, limit)
	}
	data, err := io.ReadAll(tr)
	if err != nil {
		return nil, fmt.Errorf("%s: the bundle is damaged or truncated in this entry: %w", hdr.Name, readError(err))
	}
	return data, nil
}

// readError says what an error of the decompressor or the tar reader means.
func readError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the file ends early (truncated)")
	}
	return err
}

// Read checks a bundle file whole (every file against the manifest's size
// and sha256) and returns what precedes its files.
func Read(file string) (Contents, error) {
	f, err := os.Open(file)
	if err != nil {
		return Contents{}, err
	}
	defer f.Close()
	c, err := walk(f, nil, nil)
	if err != nil {
		return c, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

// ReadFiles reads the named files of a bundle into memory, stopping once it
// has them all; a name the bundle does not hold is left out of the map.
// The files read are checked against the manifest; the rest are not read.
func ReadFiles(file string, names ...string) (Contents, map[string][]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return Contents{}, nil, err
	}
	defer f.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string][]byte{}
	c, err := walk(f, nil, func(fl File, content io.Reader) error {
		if len(out) == len(want) { // the files read so far were checked before this one began
			return errStop
		}
		if !want[fl.Path] {
			return nil
		}
		b, err := readWhole(fl, content)
		out[fl.Path] = b
		return err
	})
	if err != nil {
		return c, nil, fmt.Errorf("%s: %w", file, err)
	}
	return c, out, nil
}

// Unpack reads a bundle into dir, which must not exist or be empty, and
// checks every file against the manifest as it goes. Every file lands
// inside dir (paths are checked, and written through an os.Root); on any
// error dir is removed again, so a refused bundle leaves nothing behind.
// MANIFEST.json (and MANIFEST.sig) are written beside the files.
func Unpack(file, dir string) (c Contents, err error) {
	f, err := os.Open(file)
	if err != nil {
		return c, err
	}
	defer f.Close()
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return c, fmt.Errorf("%s is not empty: unpack into a new folder", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return c, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return c, err
	}
	defer func() {
		root.Close()
		if err != nil {
			os.RemoveAll(dir)
			err = fmt.Errorf("%s: %w (nothing unpacked)", file, err)
		}
	}()
	space := func(m *Manifest) error { return checkSpace(m, dir) }
	c, err = walk(f, space, func(fl File, content io.Reader) error {
		return writeFile(root, fl, content)
	})
	if err != nil {
		return c, err
	}
	if err := root.WriteFile(ManifestName, c.ManifestRaw, 0o644); err != nil {
		return c, err
	}
	if c.Signature != nil {
		if err := root.WriteFile(SignatureName, c.Signature, 0o644); err != nil {
			return c, err
		}
	}
	return c, nil
}

// writeFile writes one file of a bundle under root.
func writeFile(root *os.Root, fl File, content io.Reader) error {
	if d := path.Dir(fl.Path); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	mode := os.FileMode(0o644)
	if fl.Exec {
		mode = 0o755
	}
	out, err := root.OpenFile(fl.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, content)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", fl.Path, readError(err))
	}
	return nil
}

// checkSpace refuses a bundle whose files need more space than dir's file
// system has free.
func checkSpace(m *Manifest, dir string) error {
	var total int64
	for _, f := range m.Files {
		total += f.Size
	}
	if free, ok := freeSpace(dir); ok && total > free {
		return fmt.Errorf("the bundle's files take %d bytes, more than the %d free in %s: refused", total, free, dir)
	}
	return nil
}

// readWhole reads the content of the bundle's file fl whole.
func readWhole(fl File, content io.Reader) ([]byte, error) {
	var b bytes.Buffer
	if _, err := io.Copy(&b, content); err != nil {
		return nil, damaged(fl, err)
	}
	return b.Bytes(), nil
}

// damaged is the error of a read that failed inside the bundle's file fl.
func damaged(fl File, err error) error {
	return fmt.Errorf("%s: the bundle is damaged or truncated in this file: %w", fl.Path, readError(err))
}
