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
// kernels/vecmath and kernels/selection) with the same code. The assembly is
// chosen at start-up from golang.org/x/sys/cpu, whose GODEBUG options
// (cpu.avx2=off) turn it off; the noasm build tag leaves it out.
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

// GODEBUGFor returns the GODEBUG options under which this build, on this
// machine, takes the kernel path want: "" when it takes it already, and
// ok false when no option can (another architecture, or assembly this CPU
// or build lacks). cpu.avx512f=off turns the AVX-512 GEMM micro-kernel off
// (AVX2 everywhere), cpu.avx2=off,cpu.fma=off all assembly (pure Go).
func GODEBUGFor(want string) (options string, ok bool) {
	cur := Current()
	return godebugFor(cur.Arch, cur.Kernels, want)
}

// godebugFor is GODEBUGFor for a process on arch whose kernels took the
// implementations kernels.
func godebugFor(arch string, kernels map[string]string, want string) (options string, ok bool) {
	if want == kernelPath(arch, kernels) {
		return "", true
	}
	if arch != "amd64" {
		return "", false
	}
	for _, o := range []struct{ options, from, to string }{
		{"cpu.avx512f=off", "avx512", "avx2"},
		{"cpu.avx2=off,cpu.fma=off", "", "go"}, // from "": every implementation
	} {
		k := make(map[string]string, len(kernels))
		for n, impl := range kernels {
			k[n] = impl
			if o.from == "" || impl == o.from {
				k[n] = o.to
			}
		}
		if kernelPath(arch, k) == want {
			return o.options, true
		}
	}
	return "", false
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

// WithoutEnvironment returns the settings JSON with the environment entry
// removed, for comparing the settings of two runs as a recipe made them.
func WithoutEnvironment(settings []byte) ([]byte, error) {
	var s map[string]json.RawMessage
	if err := json.Unmarshal(settings, &s); err != nil {
		return nil, err
	}
	delete(s, SettingsKey)
	return json.Marshal(s)
}
