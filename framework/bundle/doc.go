// Package bundle packs a run into one file that a colleague can check and
// replay: a tar archive compressed with zstd whose first entry,
// MANIFEST.json, lists the sha256 and size of every file after it, the
// fingerprints of the data the run read, the plugins it loaded and the
// environment it ran on (forkrl's version and VCS revision, Go, GOOS/GOARCH,
// CPU features, kernel path). An optional MANIFEST.sig holds an ed25519
// signature of the manifest.
//
// Layout of a bundle:
//
//	MANIFEST.json                   what the bundle holds (Manifest)
//	MANIFEST.sig                    the base64 ed25519 signature of MANIFEST.json (optional)
//	run/…                           the run directory: recipe.hcl, hooks.star, settings.json,
//	                                metrics.jsonl, eval.jsonl, summary.json, log.txt, samples/,
//	                                checkpoints/ (as packed: none, the last or all)
//	data/DATASET/N-NAME             a data file the run read (with --with-data)
//	data/checkpoint-LABEL/…         a backend's base checkpoint (with --with-data)
//	plugins/KIND-LABEL/EXECUTABLE   an external plugin, and src/ its Go sources when built
//	                                from this module
//
// Each entry is a zstd frame of its own, so damage is found, and named, in
// the entry it hits. Reading is strict: the manifest first, then exactly the
// files it lists in its order, each a regular file with a clean relative
// path, of the declared size and sha256. Anything else (a newer format, a
// path with "..", a symlink, a size beyond the manifest's or the limits, a
// truncated stream) is refused with the file named, and Unpack removes what
// it wrote, writing only inside its folder (through an os.Root).
//
// Compare checks a replay against the record, value by value (timing left
// out); DiffSettings compares the settings of two runs.
package bundle
