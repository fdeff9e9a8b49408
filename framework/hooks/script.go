package hooks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"go.starlark.net/lib/math"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/forkrl/forkrl/internal/suggest"
)

// DefaultStepBudget is the number of Starlark execution steps one hook call
// may take when the recipe sets none: far more than any per-step hook needs
// (a select over 8,192 tokens through the vector builtins takes a few
// hundred), far less than a runaway loop reaches in a second.
const DefaultStepBudget = 10_000_000

// Hook names and the number of parameters each must take.
var hookArity = map[string]int{
	"reward":     1,
	"select":     1,
	"schedule":   1,
	"keep_group": 1,
	"on_step":    1,
	"on_eval":    1,
}

// Options configure a loaded script.
type Options struct {
	// Root is the folder load() resolves against (the recipe's folder);
	// loads may not leave it. Empty: the script's own folder.
	Root string
	// StepBudget caps the execution steps of one call; 0 means DefaultStepBudget.
	StepBudget uint64
	// Seed is the run seed; the rand module of each call derives from it.
	Seed uint64
	// MemoryBudget caps how much one call may grow the heap by, in bytes;
	// 0 means DefaultMemoryBudget.
	MemoryBudget uint64
	// Print receives the output of print() with the caller's position
	// ("file:line:col"), at most MaxPrintPerCall bytes a call and
	// MaxPrintPerRun in all; nil discards it.
	Print func(pos, msg string)
}

// Script is a loaded hooks file. Its methods may be called from several
// goroutines; a nil *Script defines no hooks.
type Script struct {
	path    string
	opts    Options
	globals starlark.StringDict
	hooks   map[string]*starlark.Function

	mu      sync.Mutex
	calls   map[callKey]uint64 // calls so far per (hook, step), for the rand streams
	printed int                // bytes of print() output so far
}

type callKey struct {
	hook string
	step int
}

// Load reads, executes and checks a hooks file: its globals are frozen and
// every known hook it defines must be a function of exactly one parameter.
func Load(path string, opts Options) (*Script, error) {
	if opts.StepBudget == 0 {
		opts.StepBudget = DefaultStepBudget
	}
	if opts.MemoryBudget == 0 {
		opts.MemoryBudget = DefaultMemoryBudget
	}
	if opts.Root == "" {
		opts.Root = filepath.Dir(path)
	}
	s := &Script{path: path, opts: opts, hooks: map[string]*starlark.Function{}, calls: map[callKey]uint64{}}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hooks: %w", err)
	}
	l := &loader{root: opts.Root, cache: map[string]*loadEntry{}, script: s}
	thread := s.newThread("load", 0)
	thread.Load = l.load
	stop := watch(context.Background(), thread, opts.MemoryBudget)
	globals, err := starlark.ExecFileOptions(fileOptions, thread, path, src, predeclared())
	stop()
	if err != nil {
		return nil, asError(err, "")
	}
	globals.Freeze()
	s.globals = globals
	for name, arity := range hookArity {
		v, ok := globals[name]
		if !ok {
			continue
		}
		fn, ok := v.(*starlark.Function)
		if !ok {
			return nil, &Error{File: path, Line: 1, Col: 1, Hook: name,
				Msg: fmt.Sprintf("is a %s; a hook must be a function (def %s(%s): ...)", v.Type(), name, paramHint[name])}
		}
		if fn.NumParams() != arity || fn.HasVarargs() || fn.HasKwargs() || fn.NumKwonlyParams() > 0 {
			return nil, errorAt(fn.Position(), name, fmt.Sprintf(
				"must take exactly %d parameter, as in def %s(%s); this one takes %d",
				arity, name, paramHint[name], fn.NumParams()))
		}
		s.hooks[name] = fn
	}
	for name, v := range globals {
		if _, ok := v.(*starlark.Function); ok && !strings.HasPrefix(name, "_") {
			if _, known := hookArity[name]; !known {
				if near := suggest.Closest(name, hookNames()); near != "" {
					fn := v.(*starlark.Function)
					return nil, errorAt(fn.Position(), "", fmt.Sprintf(
						"%s is not a hook name; did you mean %s? (prefix helper functions with _ to silence this)", name, near))
				}
			}
		}
	}
	return s, nil
}

var paramHint = map[string]string{
	"reward": "sample", "select": "batch", "schedule": "step",
	"keep_group": "group", "on_step": "metrics", "on_eval": "results",
}

var fileOptions = &syntax.FileOptions{Set: true, While: false, TopLevelControl: true, GlobalReassign: false}

func hookNames() []string {
	var names []string
	for n := range hookArity {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Has reports whether the script defines the named hook.
func (s *Script) Has(hook string) bool {
	if s == nil {
		return false
	}
	_, ok := s.hooks[hook]
	return ok
}

// Path is the file the script was loaded from.
func (s *Script) Path() string { return s.path }

// predeclared is the environment of every script and loaded module.
func predeclared() starlark.StringDict {
	env := vectorBuiltins()
	env["math"] = math.Module
	env["rand"] = randModule
	return env
}

// newThread makes the thread of one call: its step budget, its bounded
// print and its rand module.
func (s *Script) newThread(hook string, step int) *starlark.Thread {
	thread := &starlark.Thread{Name: "hook " + hook}
	thread.SetMaxExecutionSteps(s.opts.StepBudget)
	thread.Print = s.printer()
	s.mu.Lock()
	k := callKey{hook, step}
	n := s.calls[k]
	s.calls[k] = n + 1
	s.mu.Unlock()
	thread.SetLocal(randLocal, newRand(s.opts.Seed, hook, step, n))
	return thread
}

// call runs hook with one argument on a fresh thread.
func (s *Script) call(ctx context.Context, hook string, step int, arg starlark.Value) (starlark.Value, error) {
	fn := s.hooks[hook]
	thread := s.newThread(hook, step)
	thread.Load = func(*starlark.Thread, string) (starlark.StringDict, error) {
		return nil, errors.New("load() is allowed only at the top level of a hooks file")
	}
	stop := watch(ctx, thread, s.opts.MemoryBudget)
	v, err := starlark.Call(thread, fn, starlark.Tuple{arg}, nil)
	stop()
	if err != nil {
		e := asError(err, hook)
		if e.Line == 0 {
			p := fn.Position()
			e.File, e.Line, e.Col = p.Filename(), int(p.Line), int(p.Col)
		}
		return nil, e
	}
	return v, nil
}

// returnError reports a hook's return value of the wrong type at the hook's definition.
func (s *Script) returnError(hook string, format string, args ...any) *Error {
	return errorAt(s.hooks[hook].Position(), hook, fmt.Sprintf(format, args...))
}

// loader resolves load() statements against the root folder, with a cache
// and cycle detection.
type loader struct {
	root   string
	cache  map[string]*loadEntry
	script *Script
}

type loadEntry struct {
	globals starlark.StringDict
	err     error
}

func (l *loader) load(thread *starlark.Thread, module string) (starlark.StringDict, error) {
	if filepath.IsAbs(module) || !strings.HasSuffix(module, ".star") {
		return nil, fmt.Errorf("load(%q): name a .star file relative to the recipe's folder", module)
	}
	clean := filepath.Clean(module)
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("load(%q): files outside the recipe's folder cannot be loaded", module)
	}
	path := filepath.Join(l.root, clean)
	if e, ok := l.cache[path]; ok {
		if e == nil {
			return nil, fmt.Errorf("load(%q): cycle in load graph", module)
		}
		return e.globals, e.err
	}
	l.cache[path] = nil
	src, err := os.ReadFile(path)
	if err != nil {
		l.cache[path] = &loadEntry{err: fmt.Errorf("load(%q): %w", module, err)}
		return nil, l.cache[path].err
	}
	child := l.script.newThread("load", 0)
	child.Load = l.load
	globals, err := starlark.ExecFileOptions(fileOptions, child, path, src, predeclared())
	e := &loadEntry{globals: globals}
	if err != nil {
		e.err = asError(err, "") // keeps the position inside the loaded file
	} else {
		globals.Freeze()
	}
	l.cache[path] = e
	return e.globals, e.err
}
