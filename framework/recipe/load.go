package recipe

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Load reads the recipe file and resolves its runs. It returns the recipe
// even when there are errors (with the runs that resolved), so that the
// diagnostics can be rendered with its Files.
func Load(filename string, opts Options) (*Recipe, hcl.Diagnostics) {
	src, err := os.ReadFile(filename)
	if err != nil {
		return &Recipe{Filename: filename, Files: map[string]*hcl.File{}}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the recipe",
			Detail:   err.Error(),
		}}
	}
	return Parse(filename, src, opts)
}

// Parse is Load on a recipe already in memory; filename names it in
// diagnostics and its folder is the one relative paths are resolved against.
func Parse(filename string, src []byte, opts Options) (*Recipe, hcl.Diagnostics) {
	p := hclparse.NewParser()
	if diags := checkNesting(filename, src); diags.HasErrors() {
		return &Recipe{Filename: filename, Files: map[string]*hcl.File{filename: {Bytes: src}}}, diags
	}
	file, diags := p.ParseHCL(src, filename)
	rec := &Recipe{Filename: filename, Files: p.Files()}
	if diags.HasErrors() {
		return rec, diags
	}
	l := &loader{filename: filename, dir: filepath.Dir(filename), opts: opts, end: endOf(filename, src)}
	diags = append(diags, l.load(file.Body, rec)...)
	return rec, dedupe(diags)
}

// topSchema is the recipe's top level: its plugin blocks after variables
// and locals, then the other blocks.
var topSchema = &hcl.BodySchema{Blocks: slices.Concat(
	[]hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
	},
	pluginBlockSchemas(),
	[]hcl.BlockHeaderSchema{
		{Type: "dataset", LabelNames: []string{"name"}},
		{Type: "algorithm", LabelNames: []string{"preset"}},
		{Type: "train"},
		{Type: "eval"},
		{Type: "hooks"},
		{Type: "output"},
		{Type: "sweep"},
		{Type: "run", LabelNames: []string{"name"}},
	},
)}

// pluginBlockSchemas are the top-level plugin blocks, KIND "TYPE" "LABEL".
func pluginBlockSchemas() []hcl.BlockHeaderSchema {
	var out []hcl.BlockHeaderSchema
	for _, k := range topKinds {
		out = append(out, hcl.BlockHeaderSchema{Type: string(k), LabelNames: []string{"type", "name"}})
	}
	return out
}

// topKinds are the kinds whose blocks stand at the top of a recipe: those
// that do not run in the host.
var topKinds = slices.DeleteFunc(slices.Clone(pluginapi.Kinds), pluginapi.Kind.InHost)

// loader holds a recipe's blocks between the steps of Parse.
type loader struct {
	filename, dir string
	opts          Options

	vars     []*varDecl
	locals   hcl.Attributes
	plugins  []*hcl.Block // backend, verifier and selector blocks, in order
	datasets []*hcl.Block
	single   map[string]*hcl.Block // algorithm, train, eval, hooks, output
	runs     []*hcl.Block
	refs     map[string]cty.Value // backend, verifier, selector, dataset: label → label
	end      hcl.Range            // the end of the file, where a missing block is reported
}

// endOf is the empty range at the end of a source file.
func endOf(filename string, src []byte) hcl.Range {
	pos := hcl.Pos{Line: 1 + strings.Count(string(src), "\n"), Byte: len(src)}
	pos.Column = 1 + utf8.RuneCount(src[strings.LastIndexByte(string(src), '\n')+1:])
	return hcl.Range{Filename: filename, Start: pos, End: pos}
}

func (l *loader) load(body hcl.Body, rec *Recipe) hcl.Diagnostics {
	content, diags := body.Content(topSchema)
	diags = append(diags, l.classify(content)...)
	if diags.HasErrors() {
		return diags
	}
	for _, v := range l.vars {
		rec.Variables = append(rec.Variables, v.Variable)
	}
	sweep, d := decodeSweep(l.single["sweep"])
	rec.Sweep = sweep
	diags = append(diags, d...)
	cmdline, d := l.commandLineVars()
	diags = append(diags, d...)
	specs, d := l.expand(cmdline)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return diags
	}
	var perRun []hcl.Diagnostics
	for _, s := range specs {
		run, d := l.resolve(s, cmdline)
		perRun = append(perRun, d)
		if !d.HasErrors() {
			rec.Runs = append(rec.Runs, *run)
		}
	}
	if len(l.runs) == 0 {
		return append(diags, perRun[0]...)
	}
	return append(diags, mergeRuns(specs, perRun)...)
}

// mergeRuns merges the diagnostics of the runs of a matrix: a problem found
// in every run is reported once as it is; one found in some runs only is
// reported once, naming those runs.
func mergeRuns(specs []runSpec, perRun []hcl.Diagnostics) hcl.Diagnostics {
	var order []string
	first := map[string]*hcl.Diagnostic{}
	runs := map[string][]string{}
	for i, diags := range perRun {
		for _, d := range dedupe(diags) {
			k := diagKey(d)
			if _, ok := first[k]; !ok {
				order = append(order, k)
				first[k] = d
			}
			runs[k] = append(runs[k], specs[i].name)
		}
	}
	var out hcl.Diagnostics
	for _, k := range order {
		d := *first[k]
		if n := len(runs[k]); n < len(specs) {
			names := runs[k]
			if n > 5 {
				names = append(names[:5:5], fmt.Sprintf("and %d more", n-5))
			}
			label := "run"
			if n > 1 {
				label = "runs"
			}
			d.Detail = strings.TrimSpace(d.Detail + fmt.Sprintf("\n\nIn %s %s.", label, strings.Join(names, ", ")))
		}
		out = append(out, &d)
	}
	return out
}

// classify sorts the top-level blocks, checks labels and duplicates, and
// decodes the variable declarations and locals.
func (l *loader) classify(content *hcl.BodyContent) hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.single = map[string]*hcl.Block{}
	l.locals = hcl.Attributes{}
	labels := map[string]map[string]*hcl.Block{}
	seen := func(kind, label string, b *hcl.Block, rng hcl.Range) {
		if !hclsyntax.ValidIdentifier(label) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid block name",
				Detail:   fmt.Sprintf("A %s name must start with a letter or underscore and contain only letters, digits, underscores and dashes; got %q.", kind, label),
				Subject:  rng.Ptr(),
			})
			return
		}
		if labels[kind] == nil {
			labels[kind] = map[string]*hcl.Block{}
		}
		if prev, dup := labels[kind][label]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Duplicate %s %q", kind, label),
				Detail:   fmt.Sprintf("A %s named %q was already declared at %s. Names must be unique.", kind, label, prev.DefRange),
				Subject:  rng.Ptr(),
			})
			return
		}
		labels[kind][label] = b
	}
	for _, b := range content.Blocks {
		if slices.Contains(topKinds, pluginapi.Kind(b.Type)) {
			seen(b.Type, b.Labels[1], b, b.LabelRanges[1])
			l.plugins = append(l.plugins, b)
			continue
		}
		switch b.Type {
		case "variable":
			seen("variable", b.Labels[0], b, b.LabelRanges[0])
			v, d := decodeVariable(b)
			diags = append(diags, d...)
			if v != nil {
				l.vars = append(l.vars, v)
			}
		case "locals":
			attrs, d := b.Body.JustAttributes()
			diags = append(diags, d...)
			for _, a := range sortedAttributes(attrs) {
				name := a.Name
				if prev, dup := l.locals[name]; dup {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  fmt.Sprintf("Duplicate local value %q", name),
						Detail:   fmt.Sprintf("A local value named %q was already defined at %s.", name, prev.NameRange),
						Subject:  a.NameRange.Ptr(),
					})
					continue
				}
				l.locals[name] = a
			}
		case "dataset":
			seen("dataset", b.Labels[0], b, b.LabelRanges[0])
			l.datasets = append(l.datasets, b)
		case "run":
			seen("run", b.Labels[0], b, b.LabelRanges[0])
			l.runs = append(l.runs, b)
		default:
			if prev, dup := l.single[b.Type]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  fmt.Sprintf("Duplicate %s block", b.Type),
					Detail:   fmt.Sprintf("A recipe has at most one %s block; the first is at %s.", b.Type, prev.DefRange),
					Subject:  b.DefRange.Ptr(),
				})
				continue
			}
			l.single[b.Type] = b
		}
	}
	for _, kind := range []string{"algorithm", "train"} {
		if l.single[kind] == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Missing %s block", kind),
				Detail:   missingBlockDetail[kind],
				Subject:  l.end.Ptr(),
			})
		}
	}
	for _, need := range [][2]string{{"backend", `backend "tinylm" "policy" {}`}, {"dataset", `dataset "countdown" { generator "countdown" {} }`}} {
		kind, what := need[0], need[1]
		if len(labels[kind]) == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Missing %s block", kind),
				Detail:   fmt.Sprintf("A recipe needs at least one %s block, such as %s.", kind, what),
				Subject:  l.end.Ptr(),
			})
		}
	}
	l.refs = map[string]cty.Value{"dataset": labelObject(labels["dataset"])}
	for _, k := range topKinds {
		l.refs[string(k)] = labelObject(labels[string(k)])
	}
	return diags
}

// labelObject is the object that references to blocks go through
// (backend.policy): each block's label, as a string.
func labelObject(blocks map[string]*hcl.Block) cty.Value {
	obj := map[string]cty.Value{}
	for label := range blocks {
		obj[label] = cty.StringVal(label)
	}
	return cty.ObjectVal(obj)
}

var missingBlockDetail = map[string]string{
	"algorithm": `A recipe needs an algorithm block naming its preset: algorithm "dapo" {}, "grpo", "ppo" or "sft".`,
	"train":     "A recipe needs a train block with at least the number of steps: train { steps = 100 }.",
}

// runSpec is one run to resolve: its name and the variable values its run
// block sets.
type runSpec struct {
	name      string
	overrides map[string]valueAt
}

// valueAt is a variable value and where it was set (nil: the command line).
type valueAt struct {
	val cty.Value
	rng *hcl.Range
}

// MaxRuns is the most runs one recipe may expand into.
const MaxRuns = 10000

var runNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.+=-]*$`)

// expand turns the run blocks into run specs, in order: a block without
// for_each is one run; with for_each, one run per element (maps in key order,
// lists and sets in element order).
func (l *loader) expand(cmdline map[string]valueAt) ([]runSpec, hcl.Diagnostics) {
	if len(l.runs) == 0 {
		name := strings.TrimSuffix(filepath.Base(l.filename), filepath.Ext(l.filename))
		return []runSpec{{name: name}}, nil
	}
	base, baseDiags := l.baseContext(cmdline)
	var diags hcl.Diagnostics
	var specs []runSpec
	names := map[string]hcl.Range{}
	for _, b := range l.runs {
		content, d := b.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "for_each"}, {Name: "name"}, {Name: "vars"},
		}})
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		type element struct{ key, value cty.Value }
		elems := []element{{cty.NilVal, cty.NilVal}}
		if fe, ok := content.Attributes["for_each"]; ok {
			v, d := eval(fe.Expr, base)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			if !v.IsWhollyKnown() {
				diags = append(diags, invalid("for_each", fe.Expr.Range().Ptr(), "for_each depends on a variable that has no value yet; give it a default or set it with --var."))
				continue
			}
			ty := v.Type()
			if v.IsNull() || !(ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType()) {
				diags = append(diags, invalid("for_each", fe.Expr.Range().Ptr(), "for_each must be a list, set, tuple, map or object; got %s.", typeName(v)))
				continue
			}
			if n := v.LengthInt(); len(specs)+n > MaxRuns {
				diags = append(diags, invalid("for_each", fe.Expr.Range().Ptr(), "for_each makes %d runs, and a recipe has at most %d; split the sweep into several recipes.", n, MaxRuns))
				continue
			}
			elems = nil
			keyed := ty.IsMapType() || ty.IsObjectType()
			for it := v.ElementIterator(); it.Next(); {
				k, e := it.Element()
				if !keyed {
					k = e
				}
				elems = append(elems, element{k, e})
			}
			if len(elems) == 0 {
				diags = append(diags, invalid("for_each", fe.Expr.Range().Ptr(), "for_each is empty, so run %q has no runs.", b.Labels[0]))
				continue
			}
		}
		for _, el := range elems {
			ctx := base.NewChild()
			ctx.Variables = map[string]cty.Value{}
			name := b.Labels[0]
			if el.key != cty.NilVal {
				ctx.Variables["each"] = cty.ObjectVal(map[string]cty.Value{"key": el.key, "value": el.value})
			}
			nameRng := b.LabelRanges[0]
			if na, ok := content.Attributes["name"]; ok {
				var s string
				d := applySpec(str("name", &s), na, ctx)
				diags = append(diags, d...)
				if d.HasErrors() {
					break
				}
				name, nameRng = s, na.Expr.Range()
			} else if el.key != cty.NilVal {
				key, err := keyText(el.key)
				if err != nil {
					diags = append(diags, invalid("for_each", content.Attributes["for_each"].Expr.Range().Ptr(),
						"Cannot name the runs of %q from the elements of for_each: %v. Use a map, whose keys name the runs, or set name = \"...\" from each.value.", b.Labels[0], err))
					break
				}
				name += "-" + key
			}
			if !runNameRE.MatchString(name) {
				diags = append(diags, invalid("name", nameRng.Ptr(), "A run name becomes a directory name: letters, digits and _ . + = - only, not starting with . or -; got %q.", name))
				break
			}
			if prev, dup := names[name]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  fmt.Sprintf("Duplicate run name %q", name),
					Detail:   fmt.Sprintf("Another run is already named %q (from %s); give each run its own name.", name, prev),
					Subject:  nameRng.Ptr(),
				})
				break
			}
			names[name] = b.DefRange
			overrides, d := l.runVars(content.Attributes["vars"], ctx)
			diags = append(diags, d...)
			if d.HasErrors() {
				break
			}
			specs = append(specs, runSpec{name: name, overrides: overrides})
		}
	}
	if diags.HasErrors() {
		// A problem of the variables or locals that the run blocks see
		// explains a failed for_each; otherwise each run reports its own.
		diags = append(baseDiags, diags...)
	}
	return specs, diags
}

// runVars evaluates a run block's vars: an object constructor
// (vars = { rho = each.value }, each value reported at its own position) or
// any expression that evaluates to an object or map (vars = each.value).
func (l *loader) runVars(attr *hcl.Attribute, ctx *hcl.EvalContext) (map[string]valueAt, hcl.Diagnostics) {
	out := map[string]valueAt{}
	if attr == nil {
		return out, nil
	}
	var diags hcl.Diagnostics
	set := func(name string, keyRng hcl.Range, v cty.Value, rng hcl.Range) {
		if l.variable(name) == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Undeclared variable",
				Detail:   fmt.Sprintf("The recipe declares no variable %q.%s Declare it with a variable block first.", name, didYouMean(name, l.varNames())),
				Subject:  keyRng.Ptr(),
			})
			return
		}
		out[name] = valueAt{v, rng.Ptr()}
	}
	if pairs, d := hcl.ExprMap(attr.Expr); !d.HasErrors() {
		for _, p := range pairs {
			name := hcl.ExprAsKeyword(p.Key)
			if name == "" {
				k, d := eval(p.Key, ctx)
				diags = append(diags, d...)
				if d.HasErrors() {
					continue
				}
				if k.Type() != cty.String || k.IsNull() {
					diags = append(diags, invalid("vars", p.Key.Range().Ptr(), "A key of vars must be a variable name."))
					continue
				}
				name = k.AsString()
			}
			v, d := eval(p.Value, ctx)
			diags = append(diags, d...)
			if !d.HasErrors() {
				set(name, p.Key.Range(), v, p.Value.Range())
			}
		}
		return out, diags
	}
	v, d := eval(attr.Expr, ctx)
	if d.HasErrors() {
		return nil, d
	}
	if v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return nil, hcl.Diagnostics{invalid("vars", attr.Expr.Range().Ptr(), "vars must be an object of variable values, such as { rho = each.value } or each.value when for_each is a map of objects; got %s.", typeName(v))}
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		set(k.AsString(), attr.Expr.Range(), e, attr.Expr.Range())
	}
	return out, diags
}

func applySpec(s spec, attr *hcl.Attribute, ctx *hcl.EvalContext) hcl.Diagnostics {
	v, diags := eval(attr.Expr, ctx)
	if diags.HasErrors() {
		return diags
	}
	if v.IsNull() {
		return hcl.Diagnostics{invalid(attr.Name, attr.Expr.Range().Ptr(), "%s must not be null.", attr.Name)}
	}
	return s.apply(v, attr)
}

// keyText names a run after a for_each element: strings as they are, numbers
// in decimal, bools as true/false, and lists and tuples as their elements
// joined with "-".
func keyText(v cty.Value) (string, error) {
	if v.IsNull() {
		return "", fmt.Errorf("an element is null")
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString(), nil
	case ty == cty.Number:
		return v.AsBigFloat().Text('f', -1), nil
	case ty == cty.Bool:
		if v.True() {
			return "true", nil
		}
		return "false", nil
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		var parts []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			s, err := keyText(e)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, "-"), nil
	}
	return "", fmt.Errorf("an element is %s", typeName(v))
}

// typeName names a value's type for a person.
func typeName(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	return v.Type().FriendlyName()
}

// diagKey identifies a diagnostic by what it says and where.
func diagKey(d *hcl.Diagnostic) string {
	where := "-"
	if d.Subject != nil {
		where = d.Subject.String()
	}
	return fmt.Sprintf("%d|%s|%s|%s", d.Severity, d.Summary, d.Detail, where)
}

// dedupe drops repeated diagnostics (a problem outside the run blocks is
// found once per run).
func dedupe(diags hcl.Diagnostics) hcl.Diagnostics {
	seen := map[string]bool{}
	var out hcl.Diagnostics
	for _, d := range diags {
		key := diagKey(d)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, d)
	}
	return out
}

// sortedAttributes returns attributes in source order.
func sortedAttributes(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Range.Start.Byte < out[j].Range.Start.Byte })
	return out
}
