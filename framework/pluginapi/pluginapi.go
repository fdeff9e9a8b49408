// Package pluginapi holds what every forkrl plugin kind shares: the plugin's
// self-description (Info), the schema of its recipe settings, the Configure
// call and the diagnostics that responses carry.
//
// The kinds are listed in kinds.go. Each kind lives in a sub-package with its
// Go interface; a kind served over gRPC (backend, verifier, selector) also
// has there its Service (a Service of this package: its gRPC registration
// and client, whose Plugin method gives the kind for go-plugin), its client
// and server shims (GRPCClient, GRPCServer, in the shape of go-plugin's
// examples/grpc/shared) and a Mock for tests. Problems of the input are reported as Diagnostics inside
// responses; transport failures (the plugin crashed, timed out or spoke
// another protocol) are returned as errors.
//
// This package also holds what the shims share: the base service
// (BaseServer, BaseClient: Info and Configure routed by kind), the
// conversions of Info and Diagnostics, and the tensor encoding
// (EncodeRagged, DecodeRagged: little-endian bytes with a dtype and a shape,
// copied as memory on little-endian machines).
package pluginapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ProtocolVersion is the version of the plugin protocol this build speaks.
const ProtocolVersion = 1

// Info describes a plugin: who it is and what settings its recipe block takes.
type Info struct {
	Name        string // e.g. "tinylm", "math", "entropy"
	Version     string // the plugin's own version
	Protocol    int    // the plugin protocol version it speaks
	Kinds       []Kind // the kinds it serves
	Description string
	Settings    Schema // the attributes its recipe block accepts
}

// Schema is the set of attributes a plugin's recipe block accepts.
type Schema struct {
	Attributes []Attribute
}

// Attribute is one setting of a plugin's recipe block.
type Attribute struct {
	Name        string
	Type        string // "number", "string", "path", "bool", "list(number)", "list(string)"; a "path" is a string the host resolves against the recipe's folder
	Description string
	Required    bool
	Default     any      // JSON-compatible value used when the attribute is absent; nil: none
	Enum        []string // for strings: the accepted values, when restricted
	Min, Max    *float64 // for numbers: inclusive bounds, when restricted
}

// Lookup returns the attribute with the given name.
func (s Schema) Lookup(name string) (Attribute, bool) {
	for _, a := range s.Attributes {
		if a.Name == name {
			return a, true
		}
	}
	return Attribute{}, false
}

// Settings are the values of a plugin's recipe block, as decoded by the host
// against the plugin's Schema: float64, string, bool, []any of those.
type Settings map[string]any

// ConfigureRequest sets a plugin instance up before any other call.
type ConfigureRequest struct {
	Settings Settings
	Seed     uint64 // the instance's random stream, derived by the host from the run seed
	Dir      string // a working directory the plugin may write to (checkpoints, caches)
}

// ConfigureResponse reports problems with the settings.
type ConfigureResponse struct {
	Diagnostics Diagnostics
}

// Plugin is the base service that every plugin serves, whatever its kinds.
type Plugin interface {
	Info(ctx context.Context) (Info, error)
	Configure(ctx context.Context, req ConfigureRequest) (ConfigureResponse, error)
}

// Severity is how serious a diagnostic is.
type Severity int

// Severities.
const (
	Error Severity = iota
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic is a problem of the input that a plugin reports to the host.
type Diagnostic struct {
	Severity  Severity
	Summary   string // one sentence: what is wrong
	Detail    string // what to do about it
	Attribute string // the setting it refers to, if any
}

// Diagnostics is a list of diagnostics.
type Diagnostics []Diagnostic

// Errorf appends an error diagnostic.
func (d Diagnostics) Errorf(format string, args ...any) Diagnostics {
	return append(d, Diagnostic{Severity: Error, Summary: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any diagnostic is an error.
func (d Diagnostics) HasErrors() bool {
	for _, x := range d {
		if x.Severity == Error {
			return true
		}
	}
	return false
}

// Err returns the error diagnostics as one error, or nil when there are none.
func (d Diagnostics) Err() error {
	var msgs []string
	for _, x := range d {
		if x.Severity != Error {
			continue
		}
		m := x.Summary
		if x.Attribute != "" {
			m = x.Attribute + ": " + m
		}
		if x.Detail != "" {
			m += " (" + x.Detail + ")"
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

// ErrFrom is Err with the plugin that gave the diagnostics named in front
// ("backend \"policy\": ..."); nil when there are no errors.
func (d Diagnostics) ErrFrom(who string) error {
	if err := d.Err(); err != nil {
		return fmt.Errorf("%s: %w", who, err)
	}
	return nil
}
