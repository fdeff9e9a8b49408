package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/hashicorp/hcl/v2"
)

// RecipeSchemas is the recipe.SchemaSource of the plugin host: a built-in
// plugin's schema comes from its Info, called in-process; an external
// plugin's from starting it (after checking its sha256) and asking. Each
// plugin is asked once.
//
// A kind that runs in the host (a generator) declares its schema through its
// interface.
type RecipeSchemas struct {
	Ctx context.Context // bounds the start of external plugins; nil: context.Background()
	Log io.Writer       // receives an external plugin's stderr; nil: os.Stderr

	mu    sync.Mutex
	cache map[[3]string]schemaResult
}

type schemaResult struct {
	schema pluginapi.Schema
	err    error
}

// Schema returns the schema the plugin of block b declares.
func (p *RecipeSchemas) Schema(b *recipe.PluginBlock) (pluginapi.Schema, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := [3]string{string(b.Kind), b.Type, b.Source + "@" + b.SHA256}
	if r, ok := p.cache[key]; ok {
		return r.schema, r.err
	}
	s, err := p.lookup(b)
	if p.cache == nil {
		p.cache = map[[3]string]schemaResult{}
	}
	p.cache[key] = schemaResult{s, err}
	return s, err
}

func (p *RecipeSchemas) lookup(b *recipe.PluginBlock) (pluginapi.Schema, error) {
	ctx := p.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if b.Source != "" {
		info, err := Inspect(ctx, Spec{Kind: b.Kind, Name: b.Type, Label: b.Label, Source: b.Source, SHA256: b.SHA256, Log: p.Log})
		if err != nil {
			return pluginapi.Schema{}, err
		}
		return info.Settings, nil
	}
	bi, ok := LookupBuiltin(b.Kind, b.Type)
	switch {
	case !ok:
		return pluginapi.Schema{}, recipe.UnknownBuiltin(b.Kind, b.Type, builtinNames(b.Kind))
	case bi.New == nil: // served by a command of its own: ask the running plugin
		in, err := Open(ctx, Spec{Kind: b.Kind, Name: b.Type, Label: b.Label, Log: io.Discard})
		if err != nil {
			// It cannot start here (its interpreter or packages are missing):
			// a recipe meant for another machine still validates, and the
			// plugin checks its settings in Configure when the run starts it.
			return pluginapi.Schema{}, recipe.ErrUnchecked
		}
		defer in.Close()
		return in.Info.Settings, nil
	}
	info, ok, err := bi.Describe(ctx)
	switch {
	case !ok:
		return pluginapi.Schema{}, fmt.Errorf("the built-in %s %q cannot declare its settings: it does not implement the %s interface", b.Kind, b.Type, b.Kind)
	case err != nil:
		return pluginapi.Schema{}, fmt.Errorf("the built-in %s %q could not describe itself: %v", b.Kind, b.Type, err)
	}
	return info.Settings, nil
}

// ConfigureBuiltins configures each built-in plugin of the runs in the forkrl
// process, as a run would (external plugins are not started), and returns
// the diagnostics the plugins report, placed on the recipe: at the setting
// a diagnostic names, or at the block. A block with the same type and
// settings as one already checked is not configured again. Each plugin gets
// a scratch directory that is removed afterwards.
func ConfigureBuiltins(ctx context.Context, runs []recipe.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	for i := range runs {
		r := &runs[i]
		for _, b := range r.Plugins() {
			if b.Source != "" || !b.Checked {
				continue
			}
			settings, _ := json.Marshal(b.Settings)
			key := string(b.Kind) + "/" + b.Type + "/" + string(settings)
			if seen[key] {
				continue
			}
			seen[key] = true
			diags = append(diags, configureBuiltin(ctx, b, r.Seed)...)
		}
	}
	return diags
}

func configureBuiltin(ctx context.Context, b *recipe.PluginBlock, seed uint64) (diags hcl.Diagnostics) {
	bi, ok := LookupBuiltin(b.Kind, b.Type)
	if !ok || bi.New == nil { // a plugin with a command of its own is configured by runs only
		return nil
	}
	impl, ok := bi.New().(pluginapi.Plugin)
	if !ok {
		return nil
	}
	fail := func(format string, args ...any) hcl.Diagnostics {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("%s %q %q cannot be configured", b.Kind, b.Type, b.Label),
			Detail:   fmt.Sprintf(format, args...),
			Subject:  b.DefRange.Ptr(),
		}}
	}
	dir, err := os.MkdirTemp("", "forkrl-validate-")
	if err != nil {
		return fail("no scratch directory: %v", err)
	}
	defer os.RemoveAll(dir)
	defer func() {
		if p := recover(); p != nil {
			diags = fail("the plugin panicked: %v", p)
		}
	}()
	resp, err := impl.Configure(ctx, pluginapi.ConfigureRequest{Settings: b.Settings, Seed: seed, Dir: dir})
	if err != nil {
		return fail("%v", err)
	}
	return recipe.PluginDiagnostics(b, resp.Diagnostics)
}
