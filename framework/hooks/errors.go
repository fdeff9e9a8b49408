package hooks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Error is a failure of a hooks script: where it happened, in which hook,
// what went wrong, and the Starlark backtrace when there is one.
type Error struct {
	File      string
	Line, Col int
	Hook      string // the hook being called; empty while loading
	Msg       string
	Backtrace string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: ", e.File, e.Line, e.Col)
	if e.Hook != "" {
		fmt.Fprintf(&b, "hook %s: ", e.Hook)
	}
	b.WriteString(e.Msg)
	if e.Backtrace != "" {
		b.WriteString("\n")
		b.WriteString(e.Backtrace)
	}
	return b.String()
}

// Diagnostic renders the error as an HCL diagnostic, so that hook errors are
// printed with a source excerpt exactly like recipe errors.
func (e *Error) Diagnostic() *hcl.Diagnostic {
	summary := "Error in hooks script"
	if e.Hook != "" {
		summary = "Error in hook " + e.Hook
	}
	detail := e.Msg
	if e.Backtrace != "" {
		detail += "\n\n" + e.Backtrace
	}
	pos := hcl.Pos{Line: e.Line, Column: e.Col}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  &hcl.Range{Filename: e.File, Start: pos, End: hcl.Pos{Line: e.Line, Column: e.Col + 1}},
	}
}

func errorAt(p syntax.Position, hook, msg string) *Error {
	return &Error{File: p.Filename(), Line: int(p.Line), Col: int(p.Col), Hook: hook, Msg: msg}
}

// asError turns a Starlark syntax, resolve or evaluation error into an *Error
// at the innermost position in the script.
func asError(err error, hook string) *Error {
	var evalErr *starlark.EvalError
	if errors.As(err, &evalErr) {
		e := &Error{Hook: hook, Msg: evalErr.Msg, Backtrace: evalErr.Backtrace()}
		if strings.Contains(evalErr.Msg, "too many steps") {
			e.Msg = "the hook exceeded its step budget (set hooks { step_budget = N } in the recipe to raise it): " + evalErr.Msg
		}
		for i := len(evalErr.CallStack) - 1; i >= 0; i-- {
			p := evalErr.CallStack[i].Pos
			if p.Filename() != "<builtin>" && p.IsValid() {
				e.File, e.Line, e.Col = p.Filename(), int(p.Line), int(p.Col)
				break
			}
		}
		var inner *Error
		if errors.As(evalErr.Unwrap(), &inner) { // an error of a loaded module
			return inner
		}
		return e
	}
	var synErr syntax.Error
	if errors.As(err, &synErr) {
		return errorAt(synErr.Pos, hook, synErr.Msg)
	}
	var resolveErrs resolve.ErrorList
	if errors.As(err, &resolveErrs) && len(resolveErrs) > 0 {
		e := errorAt(resolveErrs[0].Pos, hook, resolveErrs[0].Msg)
		if n := len(resolveErrs); n > 1 {
			e.Msg += fmt.Sprintf(" (and %d more errors)", n-1)
		}
		return e
	}
	return &Error{Hook: hook, Msg: err.Error()}
}
