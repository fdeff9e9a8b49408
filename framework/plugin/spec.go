package plugin

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// Isolation says where a plugin runs.
type Isolation string

// Isolations.
const (
	// Process runs the plugin in its own process, spoken to over gRPC. It is the
	// default, and the only isolation an external plugin gets.
	Process Isolation = "process"
	// Inproc runs a built-in plugin inside the host process through the same Go
	// interface: for debugging and for speed.
	Inproc Isolation = "inproc"
)

// Default limits.
const (
	// DefaultCallTimeout bounds one call when Spec.CallTimeout is zero.
	DefaultCallTimeout = 10 * time.Minute
	// DefaultStartTimeout bounds a plugin's start-up when Spec.StartTimeout is zero.
	DefaultStartTimeout = time.Minute
)

// Spec says which plugin to open and how.
type Spec struct {
	Kind pluginapi.Kind
	// Name is the built-in's name when Source is empty; for an external plugin
	// it is only used in messages (its Info gives the real name).
	Name string
	// Label is the recipe block's label, used in messages; empty: Name.
	Label string
	// Source is the path of an external plugin executable; empty: a built-in.
	Source string
	// Args are passed to an external plugin executable.
	Args []string
	// SHA256 is the hex sha256 of Source. An external plugin is started only
	// when its file has this checksum.
	SHA256 string
	// Isolation is Process (the default when empty) or Inproc (built-ins only).
	Isolation Isolation
	// CallTimeout bounds every call; zero: DefaultCallTimeout. A call past it
	// fails with an error naming the plugin and the call, and the plugin
	// process is stopped.
	CallTimeout time.Duration
	// StartTimeout bounds the start-up and handshake; zero: DefaultStartTimeout.
	StartTimeout time.Duration
	// Log receives the plugin's stderr (and its stdout after the handshake),
	// each line prefixed with the plugin's name; nil: os.Stderr.
	Log io.Writer
}

// label is the name used in messages.
func (s Spec) label() string {
	if s.Label != "" {
		return s.Label
	}
	if s.Name != "" {
		return s.Name
	}
	return s.Source
}

// String names the plugin the way messages do: `selector "top20"`, with the
// built-in or the executable behind the label when they differ.
func (s Spec) String() string {
	out := fmt.Sprintf("%s plugin %q", s.Kind, s.label())
	switch {
	case s.Source != "":
		out += fmt.Sprintf(" (%s)", s.Source)
	case s.Name != "" && s.Name != s.label():
		out += fmt.Sprintf(" (built-in %q)", s.Name)
	}
	return out
}

func (s Spec) withDefaults() Spec {
	if s.Isolation == "" {
		s.Isolation = Process
	}
	if s.CallTimeout <= 0 {
		s.CallTimeout = DefaultCallTimeout
	}
	if s.StartTimeout <= 0 {
		s.StartTimeout = DefaultStartTimeout
	}
	if s.Log == nil {
		s.Log = os.Stderr
	}
	return s
}
