package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/forkrl/forkrl/framework/bundle"
	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/provenance"
	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/internal/atomicfile"
)

func init() {
	register(&command{
		name:    "bundle",
		summary: "pack a run into one file, verify it, replay it to the same numbers, compare two runs",
		run:     func(args []string) int { return bundleCommand(args, os.Stdout, os.Stderr) },
	})
}

// bundleSubcommands are the subcommands of forkrl bundle, in help order.
var bundleSubcommands = []struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}{
	{"pack", "pack a run directory into a bundle", bundlePack},
	{"verify", "check every file of a bundle against its manifest, and the run's consistency", bundleVerify},
	{"inspect", "print a bundle's manifest and run summary without unpacking it", bundleInspect},
	{"replay", "re-run a bundle's run and compare its metrics with the recorded ones", bundleReplay},
	{"diff", "compare the settings, metrics and evaluations of two runs or bundles", bundleDiff},
	{"keygen", "write an ed25519 key pair to sign bundles with", bundleKeygen},
}

func bundleCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		for _, s := range bundleSubcommands {
			if s.name == args[0] {
				return s.run(args[1:], stdout, stderr)
			}
		}
	}
	w := stderr
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		w = stdout
	} else if len(args) > 0 {
		fmt.Fprintf(stderr, "forkrl bundle: unknown subcommand %q\n\n", args[0])
	}
	fmt.Fprintln(w, "usage: forkrl bundle SUBCOMMAND [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "A bundle is one file (a zstd-compressed tar) holding a run: its recipe, hooks, resolved")
	fmt.Fprintln(w, "settings, logs and samples, the fingerprints of the data it read (and the data with")
	fmt.Fprintln(w, "--with-data), the plugins it loaded, the forkrl, Go and kernel path it ran on, and a")
	fmt.Fprintln(w, "MANIFEST.json listing the sha256 of every file.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "subcommands:")
	for _, s := range bundleSubcommands {
		fmt.Fprintf(w, "  %-8s %s\n", s.name, s.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'forkrl bundle SUBCOMMAND -h' for its flags.")
	if w == stdout {
		return 0
	}
	return 2
}

func bundlePack(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name:  "bundle pack",
		flags: "[-o FILE] [--with-data] [--with-checkpoints none|last|all] [--sign KEY]",
		args:  "RUN_DIR",
		about: []string{
			"Packs a run directory into one file. Run it from the folder the run ran from: the data files,",
			"base checkpoints and plugin executables the run's settings name are read there and fingerprinted.",
			"The plugins' working folders are left out.",
		},
	}.flagSet(stderr)
	out := fs.String("o", "", "the bundle to write (default: NAME.bundle.tar.zst, NAME the run's name)")
	withData := fs.Bool("with-data", false, "include the data files and base checkpoints the run read")
	checkpoints := fs.String("with-checkpoints", bundle.CheckpointsNone, "which of the run's checkpoints to include: none, last or all")
	sign := fs.String("sign", "", "sign the manifest with this ed25519 private key file (see forkrl bundle keygen)")
	dir, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}
	opt := bundle.PackOptions{WithData: *withData, Checkpoints: *checkpoints, Generators: plugin.Generators()}
	if *sign != "" {
		key, err := bundle.ReadPrivateKey(*sign)
		if err != nil {
			return fs.fail(err)
		}
		opt.Sign = key
	}
	if *out == "" {
		settings, err := os.ReadFile(filepath.Join(dir, rundir.SettingsFile))
		if err != nil {
			fmt.Fprintf(stderr, "forkrl bundle pack: %s is not a run directory: %v\n", dir, err)
			return 1
		}
		r, err := bundle.ParseSettings(settings)
		if err != nil {
			fmt.Fprintf(stderr, "forkrl bundle pack: %s: %v\n", dir, err)
			return 1
		}
		*out = r.Name + ".bundle.tar.zst"
	}
	begin := time.Now()
	var m *bundle.Manifest
	err := atomicfile.Write(*out, func(w io.Writer) error {
		var err error
		m, err = bundle.Pack(context.Background(), w, dir, opt)
		return err
	})
	plugin.CloseAll()
	if err != nil {
		return fs.fail(err)
	}
	st, err := os.Stat(*out)
	if err != nil {
		return fs.fail(err)
	}
	var raw int64
	for _, f := range m.Files {
		raw += f.Size
	}
	fmt.Fprintf(stdout, "packed %s into %s: %d files, %s (%s unpacked) in %.1fs\n", dir, *out, len(m.Files), sizeText(st.Size()), sizeText(raw), time.Since(begin).Seconds())
	return 0
}

func bundleVerify(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name:  "bundle verify",
		flags: "[--key PUB]",
		args:  "FILE",
		about: []string{
			"Checks every file of a bundle against the sha256 and size its manifest lists, and that the run",
			"agrees with itself (the summary matches the last metrics line, the settings parse as a recipe run),",
			"then prints what the bundle holds. Exits 1 naming the first file that does not match.",
		},
	}.flagSet(stderr)
	key := fs.String("key", "", "also check the manifest's signature with this ed25519 public key file")
	file, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}
	c, rf, err := bundle.Verify(file)
	if err != nil {
		return fs.fail(err)
	}
	signature := "unsigned"
	if c.Signature != nil {
		signature = "signed (give --key to check the signature)"
	}
	if *key != "" {
		pub, err := bundle.ReadPublicKey(*key)
		if err == nil {
			err = c.CheckSignature(pub)
		}
		if err != nil {
			fmt.Fprintf(stderr, "forkrl bundle verify: %s: %v\n", file, err)
			return 1
		}
		signature = "signature good (" + *key + ")"
	}
	fmt.Fprintf(stdout, "%s: all %d files match the manifest; %s\n", file, len(c.Manifest.Files), signature)
	describe(stdout, c.Manifest, rf)
	return 0
}

func bundleInspect(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name:  "bundle inspect",
		flags: "[-json]",
		args:  "FILE",
		about: []string{
			"Prints a bundle's manifest and the summary of its run, reading only the start of the file",
			"(nothing is unpacked, and only the files printed are checked: verify checks them all).",
		},
	}.flagSet(stderr)
	asJSON := fs.Bool("json", false, "print MANIFEST.json as it is stored")
	file, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}
	c, rf, err := bundle.ReadBundleRunFiles(file)
	if err != nil {
		return fs.fail(err)
	}
	if *asJSON {
		stdout.Write(c.ManifestRaw)
		return 0
	}
	describe(stdout, c.Manifest, rf)
	fmt.Fprintln(stdout, "files (size, sha256, path):")
	for _, f := range c.Manifest.Files {
		fmt.Fprintf(stdout, "  %10d  %s…  %s\n", f.Size, f.SHA256[:16], f.Path)
	}
	return 0
}

// describe prints what a bundle holds in a few lines.
func describe(w io.Writer, m *bundle.Manifest, rf bundle.RunFiles) {
	var sum rundir.Summary
	_ = json.Unmarshal(rf.Summary, &sum)
	printSummary(w, "run "+m.Run, sum)
	if e := m.Environment; e != nil {
		fmt.Fprintf(w, "ran on: forkrl %s, %s %s/%s, kernel path %s\n", e.Forkrl, e.Go, e.OS, e.Arch, e.KernelPath)
	} else {
		fmt.Fprintln(w, "ran on: not recorded (a run made before forkrl recorded its environment)")
	}
	for _, d := range m.Data {
		where := "fingerprint only"
		if d.Bundled != "" {
			where = "in the bundle at " + d.Bundled
		}
		what := map[string]string{bundle.DataFile: "records", bundle.DataGenerator: "problems", bundle.DataCheckpoint: "files"}[d.Kind]
		fmt.Fprintf(w, "data: %s %q %s: %d %s, %s, sha256 %s…, %s\n", d.Kind, d.Name, d.Path, d.Records, what, sizeText(d.Size), d.SHA256[:12], where)
	}
	for _, p := range m.Plugins {
		origin := "built-in"
		if !p.Builtin {
			origin = p.Source
		}
		fmt.Fprintf(w, "plugin: %s %s %q: %s %s, protocol %d, %s, sha256 %s\n", p.Kind, p.Type, p.Label, p.Name, p.Version, p.Protocol, origin, shortSum(p.SHA256))
	}
	fmt.Fprintf(w, "checkpoints: %s; packed by forkrl %s\n", m.Checkpoints, m.PackedBy)
}

func shortSum(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	if s == "" {
		return "unknown"
	}
	return s
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// replayReexec marks a replay that re-executed itself to take the recorded kernel path.
const replayReexec = "FORKRL_REPLAY_REEXEC"

func bundleReplay(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name:  "bundle replay",
		flags: "[--steps N] [--out DIR] [--tolerance REL] [--kernels recorded|here]",
		args:  "FILE",
		about: []string{
			"Unpacks a bundle into DIR/bundle, checks the data the run would read against the recorded",
			"fingerprints (refusing, naming the file, when they differ and the bundle lacks the data) and the",
			"plugins against their sha256, re-runs the run (or its first N steps) into DIR/run and compares",
			"every metric and evaluation with the recorded one, timing left out. On the kernel path the run",
			"took every value must be identical; where the replay runs another (another CPU, a noasm build),",
			"a tolerance report gives the largest relative difference of each value and the first step where",
			"the runs part. Exits 1 when any value differs by more than --tolerance.",
			"",
			"With --kernels recorded (the default) a replay whose CPU can run the path the run recorded but",
			"would take another (a run on the AVX2 path replayed on a CPU with AVX-512, or on the pure-Go path)",
			"re-executes itself with FORKRL_GEMM, FORKRL_SELECTION and FORKRL_VECMATH set to take it too.",
		},
	}.flagSet(stderr)
	steps := fs.Int("steps", 0, "replay only the first N steps (0: all)")
	out := fs.String("out", "", "the folder to replay in (default: runs/NAME-replay)")
	tolerance := fs.Float64("tolerance", 0, "the largest relative difference accepted (0: values must be identical)")
	kernels := fs.String("kernels", "recorded", "recorded: take the kernel path the run took where this machine can; here: the one this process takes")
	file, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}
	if *kernels != "recorded" && *kernels != "here" {
		fmt.Fprintf(stderr, "forkrl bundle replay: --kernels %q: want recorded or here\n", *kernels)
		return 2
	}
	c, _, err := bundle.ReadFiles(file)
	if err != nil {
		return fs.fail(err)
	}
	m := c.Manifest
	here := provenance.Current()
	if m.Environment != nil && m.Environment.KernelPath != here.KernelPath {
		env, can := provenance.ForceEnv(m.Environment.KernelPath)
		switch {
		case *kernels == "recorded" && can && os.Getenv(replayReexec) == "":
			fmt.Fprintf(stderr, "the run took kernel path %s, this process %s: re-running with %s\n", m.Environment.KernelPath, here.KernelPath, strings.Join(env, " "))
			return reexec(args, env, stdout, stderr)
		default:
			fmt.Fprintf(stderr, "the run took kernel path %s, this replay takes %s: values may differ (tolerance report below)\n", m.Environment.KernelPath, here.KernelPath)
		}
	}
	if *out == "" {
		*out = filepath.Join("runs", m.Run+"-replay")
	}
	ctx, stop := interruptible()
	defer stop()
	defer plugin.CloseAll()
	rep, err := replay(ctx, file, *out, *steps, stderr)
	if err != nil {
		return fs.fail(err)
	}
	rep.Write(stdout)
	if len(rep.Problems) > 0 || rep.MaxRel() > *tolerance {
		if !rep.Identical() && *tolerance > 0 {
			fmt.Fprintf(stdout, "largest relative difference %.3g exceeds --tolerance %g\n", rep.MaxRel(), *tolerance)
		}
		return 1
	}
	if !rep.Identical() {
		fmt.Fprintf(stdout, "within --tolerance %g\n", *tolerance)
	}
	return 0
}

// reexec runs this forkrl again with the same arguments and env added, so
// that its kernels take another path.
func reexec(args []string, env []string, stdout, stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "forkrl bundle replay: %v\n", err)
		return 1
	}
	cmd := exec.Command(exe, append([]string{"bundle", "replay"}, args...)...)
	cmd.Env = append(append(os.Environ(), env...), replayReexec+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintf(stderr, "forkrl bundle replay: %v\n", err)
		return 1
	}
	return 0
}

// replay unpacks a bundle into out/bundle, points the run at the bundled
// files, checks what it would read, trains it into out/run and compares.
// A replay refused before training removes the unpacked bundle again.
func replay(ctx context.Context, file, out string, steps int, log io.Writer) (rep bundle.Report, err error) {
	unpacked := filepath.Join(out, "bundle")
	c, err := bundle.Unpack(file, unpacked)
	if err != nil {
		return bundle.Report{}, err
	}
	training := false
	defer func() {
		if err != nil && !training {
			os.RemoveAll(unpacked)
		}
	}()
	m := c.Manifest
	rf, err := bundle.ReadRunFiles(filepath.Join(unpacked, bundle.RunDir))
	if err != nil {
		return bundle.Report{}, err
	}
	if err := rf.Check(); err != nil {
		return bundle.Report{}, err
	}
	r, err := bundle.ParseSettings(rf.Settings)
	if err != nil {
		return bundle.Report{}, err
	}
	notes, err := m.PrepareReplay(ctx, r, unpacked, plugin.Generators())
	if err != nil {
		return bundle.Report{}, err
	}
	for _, n := range notes {
		fmt.Fprintf(log, "note: %s\n", n)
	}
	recorded, err := bundle.ParseSeries(rf.Metrics, rf.Evals)
	if err != nil {
		return bundle.Report{}, err
	}
	last := -1
	if steps > 0 {
		last = steps
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir := filepath.Join(out, "run")
	fmt.Fprintf(log, "replaying %s into %s\n", r.Name, dir)
	training = true
	_, err = trainRun(runCtx, r, dir, false, false, log, func(p rundir.Progress) {
		if last > 0 && p.Step >= last {
			cancel()
		}
	})
	if err != nil && (ctx.Err() != nil || runCtx.Err() == nil) {
		return bundle.Report{}, err // stopped by the user or failed, not by --steps
	}
	replayed, err := readSeries(dir)
	if err != nil {
		return bundle.Report{}, err
	}
	return bundle.Compare(recorded, replayed, last), nil
}

// readSeries reads the metrics and evaluations of a run directory.
func readSeries(dir string) (bundle.Series, error) {
	rf, err := bundle.ReadRunFiles(dir)
	if err != nil {
		return nil, err
	}
	return bundle.ParseSeries(rf.Metrics, rf.Evals)
}

func bundleDiff(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name: "bundle diff",
		args: "A B",
		about: []string{
			"Compares two runs, each a bundle or a run directory: the settings that differ, side by side,",
			"then the metrics of the last step and the final evaluations side by side with B − A.",
		},
	}.flagSet(stderr)
	pos, code := fs.parse(args)
	if code >= 0 {
		return code
	}
	var runs [2]bundle.RunFiles
	for i, p := range pos {
		var err error
		if st, serr := os.Stat(p); serr == nil && st.IsDir() {
			runs[i], err = bundle.ReadRunFiles(p)
		} else {
			_, runs[i], err = bundle.ReadBundleRunFiles(p)
		}
		if err == nil && runs[i].Settings == nil {
			err = fmt.Errorf("%s holds no %s", p, rundir.SettingsFile)
		}
		if err != nil {
			return fs.fail(err)
		}
	}
	diffs, err := bundle.DiffSettings(runs[0].Settings, runs[1].Settings)
	if err != nil {
		return fs.fail(err)
	}
	a, b := pos[0], pos[1]
	fmt.Fprintf(stdout, "A: %s\nB: %s\n\nsettings that differ:\n", a, b)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  setting\tA\tB\t")
	for _, d := range diffs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t\n", d.Name, d.A, d.B)
	}
	tw.Flush()
	var series [2]bundle.Series
	for i := range runs {
		if series[i], err = bundle.ParseSeries(runs[i].Metrics, runs[i].Evals); err != nil {
			fmt.Fprintf(stderr, "forkrl bundle diff: %s: %v\n", pos[i], err)
			return 1
		}
	}
	lastA, lastB := lastValues(series[0], "eval/", false), lastValues(series[1], "eval/", false)
	fmt.Fprintf(stdout, "\nmetrics of the last step (A: step %d, B: step %d):\n", lastA.step, lastB.step)
	sideBySide(stdout, lastA.values, lastB.values)
	evA, evB := lastValues(series[0], "eval/", true), lastValues(series[1], "eval/", true)
	fmt.Fprintf(stdout, "\nfinal evaluations (A: step %d, B: step %d):\n", evA.step, evB.step)
	sideBySide(stdout, evA.values, evB.values)
	return 0
}

// stepValues are the values of one step.
type stepValues struct {
	step   int
	values map[string]float64
}

// lastValues returns the values of the last step holding names with the
// prefix (want true) or without it (want false), keeping only those.
func lastValues(s bundle.Series, prefix string, want bool) stepValues {
	steps := s.Steps()
	for i := len(steps) - 1; i >= 0; i-- {
		out := map[string]float64{}
		for k, v := range s[steps[i]] {
			if strings.HasPrefix(k, prefix) == want {
				out[strings.TrimPrefix(k, prefix)] = v
			}
		}
		if len(out) > 0 {
			return stepValues{steps[i], out}
		}
	}
	return stepValues{-1, nil}
}

// sideBySide prints two sets of values by name with B − A.
func sideBySide(w io.Writer, a, b map[string]float64) {
	names := map[string]bool{}
	for k := range a {
		names[k] = true
	}
	for k := range b {
		names[k] = true
	}
	list := make([]string, 0, len(names))
	for k := range names {
		list = append(list, k)
	}
	sort.Strings(list)
	width := 0
	for _, k := range list {
		width = max(width, len(k))
	}
	fmt.Fprintf(w, "  %-*s  %14s  %14s  %12s\n", width, "", "A", "B", "B − A")
	cell := func(v float64, ok bool) string {
		if !ok {
			return "—"
		}
		return fmt.Sprintf("%.6g", v)
	}
	for _, k := range list {
		va, oka := a[k]
		vb, okb := b[k]
		d := "—"
		if oka && okb {
			d = fmt.Sprintf("%+.4g", vb-va)
		}
		fmt.Fprintf(w, "  %-*s  %14s  %14s  %12s\n", width, k, cell(va, oka), cell(vb, okb), d)
	}
}

func bundleKeygen(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name: "bundle keygen",
		args: "NAME",
		about: []string{
			"Writes a new ed25519 key pair: NAME.key, the private key (mode 0600), and NAME.pub, the public",
			"key. Each holds one line, the standard base64 of the key's 32 bytes (the private key's seed).",
			"Sign with 'forkrl bundle pack --sign NAME.key', check with 'forkrl bundle verify --key NAME.pub'.",
		},
	}.flagSet(stderr)
	name, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}
	if err := bundle.GenerateKey(name+".key", name+".pub"); err != nil {
		return fs.fail(err)
	}
	fmt.Fprintf(stdout, "wrote %s.key (private: keep it) and %s.pub (public: give it with your bundles)\n", name, name)
	return 0
}
