package plugin

import (
	"errors"
	"fmt"
	"strings"
)

// CallError is a call to a plugin that failed in transport: the plugin
// crashed, hung past its deadline, or answered with an error instead of a
// response. Problems of the input come back as diagnostics in the response,
// not as a CallError.
type CallError struct {
	Plugin string   // the plugin, as Spec.String names it
	Call   string   // the call, e.g. "Select"
	What   string   // what happened, in words
	Stderr []string // the last lines of the plugin's stderr, oldest first
	Err    error    // the underlying error
}

// Error renders the failure for a person: plugin, call, what happened, and
// the plugin's last stderr lines.
func (e *CallError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s", e.Plugin, e.Call, e.What)
	writeStderrTail(&b, e.Stderr)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *CallError) Unwrap() error { return e.Err }

// OpenError is a plugin that could not be started or was refused: missing
// binary, checksum mismatch, bad handshake, another protocol version.
type OpenError struct {
	Plugin string   // the plugin, as Spec.String names it
	What   string   // what went wrong and what to do, in words
	Stderr []string // the last lines of the plugin's stderr, if it ran
	Err    error    // the underlying error, if any
}

// Error renders the refusal for a person.
func (e *OpenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Plugin, e.What)
	writeStderrTail(&b, e.Stderr)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *OpenError) Unwrap() error { return e.Err }

// writeStderrTail appends a plugin's last stderr lines, if any, to an error message.
func writeStderrTail(b *strings.Builder, lines []string) {
	if len(lines) == 0 {
		return
	}
	b.WriteString("\nlast lines of its stderr:")
	for _, l := range lines {
		b.WriteString("\n  ")
		b.WriteString(l)
	}
}

// ErrClosed is the cause of a call on a closed instance.
var ErrClosed = errors.New("plugin instance is closed")
