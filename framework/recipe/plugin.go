package recipe

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Schemas is a SchemaSource from fixed tables, keyed by kind and type: the
// built-in plugins' schemas, or a test's.
type Schemas map[pluginapi.Kind]map[string]pluginapi.Schema

// Schema returns the schema of b's kind and type, or an error that suggests
// the closest known type.
func (s Schemas) Schema(b *PluginBlock) (pluginapi.Schema, error) {
	if sc, ok := s[b.Kind][b.Type]; ok {
		return sc, nil
	}
	var known []string
	for t := range s[b.Kind] {
		known = append(known, t)
	}
	sort.Strings(known)
	return pluginapi.Schema{}, fmt.Errorf("there is no built-in %s named %q.%s Known: %s", b.Kind, b.Type, didYouMean(b.Type, known), quotedList(known))
}

// hostAttributes are the attributes of a plugin block of kind k that the
// host reads itself: how to run the plugin (none for a kind that runs in the
// host), and a selector's scope and entropy. A plugin may not declare them,
// and they are not among the settings it is configured with.
func hostAttributes(k pluginapi.Kind) []string {
	if k.InHost() {
		return nil
	}
	attrs := []string{"source", "sha256", "isolation", "timeout"}
	if k == pluginapi.KindSelector {
		attrs = append(attrs, "scope", "entropy")
	}
	return attrs
}

// decodePluginBlock reads the host attributes of a plugin block (source,
// sha256, isolation, timeout; scope and entropy for selectors) and, when schemas is
// not nil, decodes its settings against the plugin's schema.
func decodePluginBlock(b *PluginBlock, dir string, schemas SchemaSource) hcl.Diagnostics {
	b.Dir = dir
	var specs []spec
	if !b.Kind.InHost() {
		b.Isolation = IsolationProcess
		specs = []spec{
			str("source", &b.Source),
			str("sha256", &b.SHA256),
			str("isolation", &b.Isolation, IsolationProcess, IsolationInProcess),
			duration("timeout", &b.Timeout),
		}
	}
	if b.Kind == pluginapi.KindSelector {
		b.Scope, b.Entropy = selector.ScopeMini, EntropyCurrent
		specs = append(specs,
			str("scope", &b.Scope, selector.Scopes...),
			str("entropy", &b.Entropy, EntropyCurrent, EntropyOld))
	}
	schema := &hcl.BodySchema{}
	for _, s := range specs {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: s.name})
	}
	content, rest, diags := b.Body.PartialContent(schema)
	host := decoded{content: content, def: b.DefRange}
	for _, s := range specs {
		if attr, ok := content.Attributes[s.name]; ok {
			v, d := eval(attr.Expr, b.EvalContext)
			diags = append(diags, d...)
			if !d.HasErrors() && !v.IsNull() {
				diags = append(diags, s.apply(v, attr)...)
			}
		}
	}
	if b.Scope == selector.ScopeStep && b.Entropy == EntropyCurrent {
		diags = append(diags, invalid("scope", host.at("scope"),
			"scope %q needs entropy = %q: the policy changes between mini-batches, so the entropies of a whole step can only come from the scoring pass before the update.", selector.ScopeStep, EntropyOld))
	}
	if b.Source != "" {
		if !filepath.IsAbs(b.Source) {
			b.Source = filepath.Join(dir, b.Source)
		}
		if _, err := os.Stat(b.Source); err != nil {
			diags = append(diags, invalid("source", host.at("source"), "The plugin executable cannot be read: %v.", err))
		}
		if b.SHA256 == "" {
			diags = append(diags, invalid("sha256", host.at("source"), "An external plugin needs its checksum: add sha256 = \"<hex sha256 of %s>\" (print it with `sha256sum`).", b.Source))
		}
		if b.Isolation == IsolationInProcess {
			diags = append(diags, invalid("isolation", host.at("isolation"), "An external plugin (with a source) always runs in its own process; remove isolation or set it to %q.", IsolationProcess))
		}
	}
	if b.SHA256 != "" {
		if raw, err := hex.DecodeString(b.SHA256); err != nil || len(raw) != 32 {
			diags = append(diags, invalid("sha256", host.at("sha256"), "sha256 must be 64 hexadecimal digits; got %q.", b.SHA256))
		} else if b.Source == "" {
			diags = append(diags, invalid("sha256", host.at("sha256"), "sha256 checks an external plugin's executable, and this block has no source."))
		}
	}
	b.Body = rest
	if schemas == nil {
		return append(diags, decodeUnchecked(b)...)
	}
	sc, err := schemas.Schema(b)
	if err == ErrUnchecked {
		return append(diags, decodeUnchecked(b)...)
	}
	if err != nil {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Unknown %s %q", b.Kind, b.Type),
			Detail:   capitalize(err.Error()),
			Subject:  b.TypeRange.Ptr(),
		})
	}
	return append(diags, DecodeSettings(b, sc)...)
}

// decodeUnchecked evaluates a plugin body's attributes without a schema.
func decodeUnchecked(b *PluginBlock) hcl.Diagnostics {
	attrs, diags := b.Body.JustAttributes()
	b.Settings = pluginapi.Settings{}
	b.Checked = false
	for _, attr := range sortedAttributes(attrs) {
		name := attr.Name
		v, d := eval(attr.Expr, b.EvalContext)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		x, err := toJSONValue(v)
		if err != nil {
			diags = append(diags, typeError(attr, err)...)
			continue
		}
		if x != nil {
			b.Settings[name] = x
		}
	}
	return diags
}

// DecodeSettings decodes the settings of plugin block b (its body without
// the host attributes) against the schema its plugin declares, evaluating
// them in b.EvalContext, and stores them in b.Settings with the schema's
// defaults applied. An unknown attribute, a missing required one, a value of
// the wrong type, outside the declared bounds or not among the declared
// values is an error at its position.
func DecodeSettings(b *PluginBlock, schema pluginapi.Schema) hcl.Diagnostics {
	var diags hcl.Diagnostics
	bs := &hcl.BodySchema{}
	for _, a := range schema.Attributes {
		for _, h := range hostAttributes(b.Kind) {
			if a.Name == h {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Plugin declares a reserved setting",
					Detail:   fmt.Sprintf("The %s plugin %q declares a setting %q, which the host reads itself; the plugin must rename it.", b.Kind, b.Type, a.Name),
					Subject:  b.TypeRange.Ptr(),
				})
			}
		}
		if _, err := settingType(a.Type); err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Plugin declares an invalid setting",
				Detail:   fmt.Sprintf("The %s plugin %q declares setting %q with %v.", b.Kind, b.Type, a.Name, err),
				Subject:  b.TypeRange.Ptr(),
			})
		}
		bs.Attributes = append(bs.Attributes, hcl.AttributeSchema{Name: a.Name})
	}
	if diags.HasErrors() {
		return diags
	}
	content, d := b.Body.Content(bs)
	addHomes(d, b.Body, string(b.Kind))
	diags = append(diags, d...)
	settings := pluginapi.Settings{}
	for _, a := range schema.Attributes {
		attr, ok := content.Attributes[a.Name]
		var v cty.Value
		if ok {
			var d hcl.Diagnostics
			v, d = eval(attr.Expr, b.EvalContext)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
		}
		if !ok || v.IsNull() {
			switch {
			case a.Default != nil:
				settings[a.Name] = normalizeDefault(a.Default)
			case a.Required:
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Missing required argument",
					Detail:   fmt.Sprintf("The %s plugin %q needs the setting %q (%s): %s", b.Kind, b.Type, a.Name, a.Type, a.Description),
					Subject:  b.DefRange.Ptr(),
				})
			}
			continue
		}
		x, d := decodeSetting(a, v, attr, b.Dir)
		diags = append(diags, d...)
		if !d.HasErrors() {
			settings[a.Name] = x
		}
	}
	b.Settings = settings
	b.Checked = true
	return diags
}

// settingType maps a schema attribute type to its cty type.
func settingType(t string) (cty.Type, error) {
	switch t {
	case "number":
		return cty.Number, nil
	case "string", "path":
		return cty.String, nil
	case "bool":
		return cty.Bool, nil
	case "list(number)":
		return cty.List(cty.Number), nil
	case "list(string)":
		return cty.List(cty.String), nil
	}
	return cty.NilType, fmt.Errorf("unknown type %q (want number, string, path, bool, list(number) or list(string))", t)
}

// decodeSetting decodes one setting's value; a relative "path" is resolved
// against dir, the recipe's folder.
func decodeSetting(a pluginapi.Attribute, v cty.Value, attr *hcl.Attribute, dir string) (any, hcl.Diagnostics) {
	ty, _ := settingType(a.Type)
	v, err := convert.Convert(v, ty)
	if err != nil {
		return nil, typeError(attr, err)
	}
	rng := attr.Expr.Range().Ptr()
	checkOne := func(e cty.Value) hcl.Diagnostics {
		if e.IsNull() {
			return hcl.Diagnostics{invalid(a.Name, rng, "%s must not contain null.", a.Name)}
		}
		switch e.Type() {
		case cty.String:
			return checkEnum(a.Name, e.AsString(), a.Enum, rng)
		case cty.Number:
			f, _ := e.AsBigFloat().Float64()
			var musts []string
			if math.IsInf(f, 0) {
				musts = append(musts, "finite")
			}
			if a.Min != nil && f < *a.Min {
				musts = append(musts, "at least "+fmtNum(*a.Min))
			}
			if a.Max != nil && f > *a.Max {
				musts = append(musts, "at most "+fmtNum(*a.Max))
			}
			if len(musts) > 0 {
				return hcl.Diagnostics{invalid(a.Name, rng, "%s must be %s; got %s.", a.Name, joinAnd(musts), fmtNum(f))}
			}
		}
		return nil
	}
	if ty.IsListType() {
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if d := checkOne(e); d.HasErrors() {
				return nil, d
			}
		}
	} else if d := checkOne(v); d.HasErrors() {
		return nil, d
	}
	x, err := toJSONValue(v)
	if err != nil {
		return nil, typeError(attr, err)
	}
	if p, ok := x.(string); ok && a.Type == "path" && p != "" && !filepath.IsAbs(p) {
		x = filepath.Join(dir, p)
	}
	return x, nil
}

// PluginDiagnostics places the diagnostics a plugin returned from Configure
// on the recipe: a diagnostic naming a setting points at that setting's
// value, the others at the block's header.
func PluginDiagnostics(b *PluginBlock, diags pluginapi.Diagnostics) hcl.Diagnostics {
	attrs, _ := b.Body.JustAttributes()
	var out hcl.Diagnostics
	for _, d := range diags {
		sev := hcl.DiagError
		if d.Severity == pluginapi.Warning {
			sev = hcl.DiagWarning
		}
		subject := b.DefRange.Ptr()
		if a, ok := attrs[d.Attribute]; ok {
			subject = a.Expr.Range().Ptr()
		}
		detail := d.Detail
		if d.Attribute != "" {
			detail = fmt.Sprintf("Setting %q: %s", d.Attribute, detail)
		}
		out = append(out, &hcl.Diagnostic{
			Severity: sev,
			Summary:  fmt.Sprintf("%s %q %q: %s", b.Kind, b.Type, b.Label, d.Summary),
			Detail:   detail,
			Subject:  subject,
		})
	}
	return out
}

func joinAnd(s []string) string {
	out := s[0]
	for _, x := range s[1:] {
		out += " and " + x
	}
	return out
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// normalizeDefault gives a schema's default the form decoded values have
// (numbers as float64, lists as []any), as it would have after crossing the
// wire as JSON.
func normalizeDefault(x any) any {
	raw, err := json.Marshal(x)
	if err != nil {
		return x
	}
	var out any
	if json.Unmarshal(raw, &out) != nil {
		return x
	}
	return out
}
