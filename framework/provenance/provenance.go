// Package provenance says what code and machine a run ran on: forkrl's own
// version (module version, VCS revision, dirty flag), the Go toolchain,
// GOOS/GOARCH, the CPU features the kernels saw and the kernel path they
// took (assembly or pure Go). A run records its Environment in its
// settings.json, so that a replay can tell whether it runs the same
// arithmetic and, where it does not, choose the recorded path.
//
// The kernel path is what decides bit-identical results: the same recipe,
// data and seed give the same metrics on every machine that runs the same
// path (the pure-Go kernels or the AVX2+FMA assembly of kernels/gemm,
// kernels/vecmath and kernels/selection, AVX2 or AVX-512) with the same code.
// Each package chooses its path at start-up, the fastest the CPU has unless
// its variable (FORKRL_GEMM, FORKRL_SELECTION, FORKRL_VECMATH) names one
// (ForceEnv gives them for a recorded path); the noasm build tag leaves the
// assembly out.
package provenance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/forkrl/forkrl/internal/digest"

	"golang.org/x/sys/cpu"

	"github.com/forkrl/forkrl/kernels/gemm"
	"github.com/forkrl/forkrl/kernels/selection"
	"github.com/forkrl/forkrl/kernels/vecmath"
)

// SettingsKey is the entry of settings.json that holds the Environment.
const SettingsKey = "environment"

// Environment is what a run ran on. Its JSON names are read by other tools.
type Environment struct {
	Forkrl Build  `json:"forkrl"`
	Go     string `json:"go"` // the Go toolchain that built forkrl, e.g. go1.26.8
	OS     string `json:"goos"`
	Arch   string `json:"goarch"`
	// CPUFeatures are the features golang.org/x/sys/cpu reported (after any
	// GODEBUG cpu.* options), lower case and sorted: "avx2", "fma", …
	CPUFeatures []string `json:"cpu_features"`
	// Kernels maps each kernel package with an assembly variant to the
	// implementation that ran: "go", "avx2", or for gemm and vecmath also
	// "avx512" (forced with FORKRL_GEMM, FORKRL_VECMATH and
	// FORKRL_SELECTION; see each package).
	Kernels map[string]string `json:"kernels"`
	// KernelPath sums Kernels up with the architecture: "amd64/avx2",
	// "amd64/go", "arm64/go", or "amd64/gemm=avx2,selection=go,…" when the
	// packages took different paths.
	KernelPath string `json:"kernel_path"`
	// Executable is the sha256 of the forkrl executable, which also serves
	// the built-in plugins.
	Executable string `json:"executable_sha256"`
}

// Build is forkrl's own version, from the build information Go embeds.
type Build struct {
	Module   string `json:"module"`
	Version  string `json:"version"`            // the module version; "(devel)" for a checkout
	Revision string `json:"revision,omitempty"` // the VCS revision it was built from
	Time     string `json:"time,omitempty"`     // the revision's commit time
	Dirty    bool   `json:"dirty"`              // the checkout had uncommitted changes
	Tags     string `json:"tags,omitempty"`     // build tags, such as noasm
}

// String is the version in one line: "github.com/forkrl/forkrl (devel) 1a2b3c4d5e6f+dirty".
func (b Build) String() string {
	s := b.Module + " " + b.Version
	if b.Revision != "" {
		s += " " + short(b.Revision)
		if b.Dirty {
			s += "+dirty"
		}
	}
	if b.Tags != "" {
		s += " (tags " + b.Tags + ")"
	}
	return s
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// Current describes this process: its build, its machine and its kernels.
func Current() Environment {
	e := Environment{
		Forkrl:      CurrentBuild(),
		Go:          runtime.Version(),
		OS:          runtime.GOOS,
		Arch:        runtime.GOARCH,
		CPUFeatures: cpuFeatures(),
		Kernels:     map[string]string{"gemm": gemm.Impl, "selection": selection.Impl, "vecmath": vecmath.Impl},
	}
	e.KernelPath = kernelPath(e.Arch, e.Kernels)
	e.Executable = executableSHA256()
	return e
}

// executableSHA256 is the sha256 of this process's executable, read once:
// the file does not change while the process runs.
var executableSHA256 = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	sum, _ := digest.File(exe)
	return sum
})

// CurrentBuild describes the forkrl build of this process.
func CurrentBuild() Build {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Build{Version: "unknown"}
	}
	b := Build{Module: info.Main.Path, Version: info.Main.Version}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Dirty = s.Value == "true"
		case "-tags":
			b.Tags = s.Value
		}
	}
	return b
}

// cpuFeatures lists the Has… fields of x/sys/cpu's description of this
// architecture that are set.
func cpuFeatures() []string {
	var v reflect.Value
	switch runtime.GOARCH {
	case "amd64", "386":
		v = reflect.ValueOf(cpu.X86)
	case "arm64":
		v = reflect.ValueOf(cpu.ARM64)
	default:
		return nil
	}
	var out []string
	for i := 0; i < v.NumField(); i++ {
		name, ok := strings.CutPrefix(v.Type().Field(i).Name, "Has")
		if ok && v.Field(i).Kind() == reflect.Bool && v.Field(i).Bool() {
			out = append(out, strings.ToLower(name))
		}
	}
	sort.Strings(out)
	return out
}

// kernelPath sums the per-package implementations up in one string.
func kernelPath(arch string, kernels map[string]string) string {
	names := make([]string, 0, len(kernels))
	for n := range kernels {
		names = append(names, n)
	}
	sort.Strings(names)
	same := true
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + kernels[n]
		same = same && kernels[n] == kernels[names[0]]
	}
	if same && len(names) > 0 {
		return arch + "/" + kernels[names[0]]
	}
	return arch + "/" + strings.Join(parts, ",")
}

// kernelPackages are the kernel packages with assembly variants, by the
// name Environment.Kernels gives them: the variable that forces each one's
// path at start-up and which paths this CPU and build can run.
var kernelPackages = map[string]struct {
	env    string
	canRun func(path string) bool
}{
	"gemm":      {gemm.ImplEnv, gemm.CanRun},
	"selection": {selection.ImplEnv, selection.CanRun},
	"vecmath":   {vecmath.ImplEnv, vecmath.CanRun},
}

// ForceEnv returns the environment (FORKRL_GEMM=avx2, …) under which a new
// process of this build, on this machine, takes the kernel path want, one
// variable for each kernel package; ok is false when none can: a path of
// another architecture, one that names another set of kernel packages, or
// one whose assembly this CPU or build lacks.
func ForceEnv(want string) (env []string, ok bool) {
	return forceEnv(runtime.GOARCH, want)
}

// forceEnv is ForceEnv for a process on arch.
func forceEnv(arch, want string) (env []string, ok bool) {
	wantArch, paths, found := strings.Cut(want, "/")
	if !found || wantArch != arch {
		return nil, false
	}
	impl := map[string]string{}
	for _, p := range strings.Split(paths, ",") {
		name, path, named := strings.Cut(p, "=")
		if !named { // "amd64/avx2": every package took the same path
			for n := range kernelPackages {
				impl[n] = p
			}
			continue
		}
		impl[name] = path
	}
	if len(impl) != len(kernelPackages) {
		return nil, false
	}
	for name, path := range impl {
		k, known := kernelPackages[name]
		if !known || !k.canRun(path) {
			return nil, false
		}
		env = append(env, k.env+"="+path)
	}
	sort.Strings(env)
	return env, true
}

// AddToSettings returns the settings JSON object with the environment
// added as its last entry, "environment", keeping the other entries as
// they are, in their order.
func AddToSettings(settings []byte, env Environment) ([]byte, error) {
	body := bytes.TrimRight(settings, " \t\r\n")
	if len(body) < 2 || body[len(body)-1] != '}' {
		return nil, fmt.Errorf("settings are not a JSON object")
	}
	e, err := json.MarshalIndent(env, "  ", "  ")
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(bytes.TrimRight(body[:len(body)-1], " \t\r\n")) // appended to: leave settings as they are
	if !bytes.HasSuffix(out, []byte("{")) {
		out = append(out, ',')
	}
	out = append(out, "\n  \""+SettingsKey+"\": "...)
	out = append(out, e...)
	out = append(out, "\n}"...)
	return out, nil
}

// FromSettings reads the environment a run recorded in its settings.json;
// ok is false for a run that recorded none (made by an older forkrl).
func FromSettings(settings []byte) (env Environment, ok bool, err error) {
	var s map[string]json.RawMessage
	if err := json.Unmarshal(settings, &s); err != nil {
		return env, false, err
	}
	raw, ok := s[SettingsKey]
	if !ok {
		return env, false, nil
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return env, false, fmt.Errorf("%s: %w", SettingsKey, err)
	}
	return env, true, nil
}
