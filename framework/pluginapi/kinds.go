package pluginapi

// Kind names a plugin kind. It is also the type of the kind's recipe block
// (backend "tinylm" "policy" { … }) and the name of its gRPC service in
// go-plugin's plugin set.
type Kind string

// The plugin kinds. framework/plugin's kinds table binds each to its Go
// interface, its gRPC shims and its guard.
const (
	KindBackend  Kind = "backend"
	KindVerifier Kind = "verifier"
	KindSelector Kind = "selector"
	// KindGenerator makes a dataset's problems (a generator block inside a
	// dataset block). A generator runs in the host, as a function of its
	// settings: it has no process and no gRPC service.
	KindGenerator Kind = "generator"
)

// Kinds are the kinds, in the order a run's blocks are listed and opened.
var Kinds = []Kind{KindBackend, KindVerifier, KindSelector, KindGenerator}

// InHost reports whether plugins of kind k run in the host only, as
// functions of their settings: built-in, without a process, an Info or a
// Configure call. Their recipe blocks sit inside another block (a
// generator inside its dataset) and take no host attributes (source,
// sha256, isolation, timeout).
func (k Kind) InHost() bool { return k == KindGenerator }
