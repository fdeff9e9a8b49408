package recipe

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// eval evaluates an expression after checking that every reference into an
// object of the context (var.x, local.y, selector.z, each.value) names an
// attribute that exists, so that a typo gets a "did you mean".
func eval(expr hcl.Expression, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	if diags := checkRefs(expr, ctx); diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return expr.Value(ctx)
}

// rootNames describes the objects of the evaluation context, for messages.
var rootNames = func() map[string]string {
	names := map[string]string{
		"var":     "variable",
		"local":   "local value",
		"each":    "attribute of each",
		"dataset": "dataset",
	}
	for _, k := range topKinds {
		names[string(k)] = string(k)
	}
	return names
}()

func checkRefs(expr hcl.Expression, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		if ctx == nil {
			continue
		}
		obj, ok := lookupVariable(ctx, root)
		if !ok && root == "each" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "each outside a run block",
				Detail:   "each.key and each.value exist only in the name and vars of a run block with for_each. Pass the value to the rest of the recipe through a variable: vars = { seed = each.value }, then var.seed.",
				Subject:  tr.SourceRange().Ptr(),
			})
			continue
		}
		if !ok || len(tr) < 2 || !obj.Type().IsObjectType() {
			continue
		}
		step, ok := tr[1].(hcl.TraverseAttr)
		if !ok || obj.Type().HasAttribute(step.Name) {
			continue
		}
		var names []string
		for n := range obj.Type().AttributeTypes() {
			names = append(names, n)
		}
		what := rootNames[root]
		if what == "" {
			what = "attribute of " + root
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Reference to undeclared " + what,
			Detail:   fmt.Sprintf("There is no %s named %q.%s", what, step.Name, didYouMean(step.Name, names)),
			Subject:  tr.SourceRange().Ptr(),
		})
	}
	return diags
}

// lookupVariable finds a variable in ctx or its parents.
func lookupVariable(ctx *hcl.EvalContext, name string) (cty.Value, bool) {
	for c := ctx; c != nil; c = c.Parent() {
		if v, ok := c.Variables[name]; ok {
			return v, true
		}
	}
	return cty.NilVal, false
}

// spec decodes one attribute of a block into a Go value.
type spec struct {
	name  string
	apply func(v cty.Value, attr *hcl.Attribute) hcl.Diagnostics
}

// decoded is a block body decoded against specs.
type decoded struct {
	content *hcl.BodyContent
	def     hcl.Range // the block's header, for problems of values not set in it
}

// has reports whether the attribute was set (to a non-null value).
func (d decoded) has(name string) bool {
	_, ok := d.content.Attributes[name]
	return ok
}

// at is the range a problem with the attribute is reported at: its value
// when it is set, the block's header otherwise.
func (d decoded) at(name string) *hcl.Range {
	if a, ok := d.content.Attributes[name]; ok {
		return a.Expr.Range().Ptr()
	}
	return d.def.Ptr()
}

// decodeBody decodes the body of a block of type here against specs (its
// attributes) and blocks (its nested block types, returned in the content
// for the caller). Unknown attributes and blocks are errors with a
// suggestion, and with the block they belong in when they are misplaced. An
// attribute set to null counts as not set.
func decodeBody(here string, body hcl.Body, def hcl.Range, ctx *hcl.EvalContext, specs []spec, blocks ...hcl.BlockHeaderSchema) (decoded, hcl.Diagnostics) {
	schema := &hcl.BodySchema{Blocks: blocks}
	for _, s := range specs {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: s.name})
	}
	content, diags := body.Content(schema)
	addHomes(diags, body, here)
	for _, s := range specs {
		attr, ok := content.Attributes[s.name]
		if !ok {
			continue
		}
		v, d := eval(attr.Expr, ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			delete(content.Attributes, s.name)
			continue
		}
		if v.IsNull() {
			delete(content.Attributes, s.name)
			continue
		}
		diags = append(diags, s.apply(v, attr)...)
	}
	return decoded{content: content, def: def}, diags
}

// typeError is the diagnostic of a value that does not convert to the type
// an attribute needs.
func typeError(attr *hcl.Attribute, err error) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Incorrect attribute value type",
		Detail:   fmt.Sprintf("Inappropriate value for attribute %q: %s.", attr.Name, err),
		Subject:  attr.Expr.Range().Ptr(),
	}}
}

// invalid is the diagnostic of a value that has the right type but is not
// acceptable.
func invalid(name string, rng *hcl.Range, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid value for %q", name),
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng,
	}
}

// check returns "" when x is acceptable, or what it must be ("at least 0").
type check func(x float64) string

func atLeast(lo float64) check {
	return func(x float64) string {
		if x < lo {
			return "at least " + fmtNum(lo)
		}
		return ""
	}
}

func above(lo float64) check {
	return func(x float64) string {
		if x <= lo {
			return "greater than " + fmtNum(lo)
		}
		return ""
	}
}

func below(hi float64) check {
	return func(x float64) string {
		if x >= hi {
			return "less than " + fmtNum(hi)
		}
		return ""
	}
}

func atMost(hi float64) check {
	return func(x float64) string {
		if x > hi {
			return "at most " + fmtNum(hi)
		}
		return ""
	}
}

func fmtNum(x float64) string { return fmt.Sprint(x) }

func runChecks(attr *hcl.Attribute, x float64, checks []check) hcl.Diagnostics {
	var musts []string
	for _, c := range checks {
		if m := c(x); m != "" {
			musts = append(musts, m)
		}
	}
	if len(musts) == 0 {
		return nil
	}
	return hcl.Diagnostics{invalid(attr.Name, attr.Expr.Range().Ptr(), "%s must be %s; got %s.", attr.Name, strings.Join(musts, " and "), fmtNum(x))}
}

func toFloat(v cty.Value, attr *hcl.Attribute) (float64, hcl.Diagnostics) {
	v, err := convert.Convert(v, cty.Number)
	if err != nil {
		return 0, typeError(attr, err)
	}
	f, _ := v.AsBigFloat().Float64()
	if math.IsInf(f, 0) {
		return 0, hcl.Diagnostics{invalid(attr.Name, attr.Expr.Range().Ptr(), "%s must be a finite number.", attr.Name)}
	}
	return f, nil
}

// num decodes a number.
func num(name string, dst *float64, checks ...check) spec {
	return spec{name, func(v cty.Value, attr *hcl.Attribute) hcl.Diagnostics {
		f, diags := toFloat(v, attr)
		if diags.HasErrors() {
			return diags
		}
		if diags := runChecks(attr, f, checks); diags.HasErrors() {
			return diags
		}
		*dst = f
		return nil
	}}
}

// integer decodes a whole number.
func integer(name string, dst *int, checks ...check) spec {
	return spec{name, func(v cty.Value, attr *hcl.Attribute) hcl.Diagnostics {
		f, diags := toFloat(v, attr)
		if diags.HasErrors() {
			return diags
		}
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return hcl.Diagnostics{invalid(name, attr.Expr.Range().Ptr(), "%s must be a whole number; got %s.", name, fmtNum(f))}
		}
		if diags := runChecks(attr, f, checks); diags.HasErrors() {
			return diags
		}
		*dst = int(f)
		return nil
	}}
}

// unsigned decodes a whole number in [0, 2^64).
func unsigned(name string, dst *uint64) spec {
	return spec{name, func(v cty.Value, attr *hcl.Attribute) hcl.Diagnostics {
		n, err := convert.Convert(v, cty.Number)
		if err != nil {
			return typeError(attr, err)
		}
		bf := n.AsBigFloat()
		u, acc := bf.Uint64()
		if !bf.IsInt() || acc != 0 || bf.Sign() < 0 {
			return hcl.Diagnostics{invalid(name, attr.Expr.Range().Ptr(), "%s must be a whole number from 0 to 18446744073709551615; got %s.", name, bf.Text('g', 20))}
		}
		*dst = u
		return nil
	}}
}

// str decodes a string; with enum, only those values are accepted.
func str(name string, dst *string, enum ...string) spec {
	return spec{name, func(v cty.Value, attr *hcl.Attribute) hcl.Diagnostics {
		v, err := convert.Convert(v, cty.String)
		if err != nil {
			return typeError(attr, err)
		}
		s := v.AsString()
		if diags := checkEnum(name, s, enum, attr.Expr.Range().Ptr()); diags.HasErrors() {
			return diags
		}
		*dst = s
		return nil
	}}
}

// duration decodes a positive duration written as a string: "90s", "30m", "2h".
func duration(name string, dst *string) spec {
	return spec{name, func(v cty.Value, attr *hcl.Attribute) hcl.Diagnostics {
		v, err := convert.Convert(v, cty.String)
		if err != nil {
			return typeError(attr, err)
		}
		s := v.AsString()
		if d, err := time.ParseDuration(s); err != nil || d <= 0 {
			return hcl.Diagnostics{invalid(name, attr.Expr.Range().Ptr(), "%s must be a positive duration such as \"90s\", \"30m\" or \"2h\"; got %q.", name, s)}
		}
		*dst = s
		return nil
	}}
}

func checkEnum(name, s string, enum []string, rng *hcl.Range) hcl.Diagnostics {
	if len(enum) == 0 {
		return nil
	}
	for _, e := range enum {
		if s == e {
			return nil
		}
	}
	return hcl.Diagnostics{invalid(name, rng, "%s must be %s; got %q.%s", name, quotedList(enum), s, didYouMean(s, enum))}
}

// boolean decodes a bool.
func boolean(name string, dst *bool) spec {
	return spec{name, func(v cty.Value, attr *hcl.Attribute) hcl.Diagnostics {
		v, err := convert.Convert(v, cty.Bool)
		if err != nil {
			return typeError(attr, err)
		}
		*dst = v.True()
		return nil
	}}
}

// strList decodes a list of strings.
func strList(name string, dst *[]string) spec {
	return spec{name, func(v cty.Value, attr *hcl.Attribute) hcl.Diagnostics {
		v, err := convert.Convert(v, cty.List(cty.String))
		if err != nil {
			return typeError(attr, err)
		}
		out := []string{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() {
				return hcl.Diagnostics{invalid(name, attr.Expr.Range().Ptr(), "%s must not contain null.", name)}
			}
			out = append(out, e.AsString())
		}
		*dst = out
		return nil
	}}
}

// integers decodes a whole number or a list of them into a sorted list
// without repeats.
func integers(name string, dst *[]int, checks ...check) spec {
	return spec{name, func(v cty.Value, attr *hcl.Attribute) hcl.Diagnostics {
		if v.Type() == cty.Number {
			v = cty.TupleVal([]cty.Value{v})
		}
		l, err := convert.Convert(v, cty.List(cty.Number))
		if err != nil {
			return typeError(attr, err)
		}
		var out []int
		for it := l.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() {
				return hcl.Diagnostics{invalid(name, attr.Expr.Range().Ptr(), "%s must not contain null.", name)}
			}
			f, _ := e.AsBigFloat().Float64()
			if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return hcl.Diagnostics{invalid(name, attr.Expr.Range().Ptr(), "%s must hold whole numbers; got %s.", name, fmtNum(f))}
			}
			if diags := runChecks(attr, f, checks); diags.HasErrors() {
				return diags
			}
			out = append(out, int(f))
		}
		if len(out) == 0 {
			return hcl.Diagnostics{invalid(name, attr.Expr.Range().Ptr(), "%s must hold at least one number.", name)}
		}
		slices.Sort(out)
		*dst = slices.Compact(out)
		return nil
	}}
}

// labelsOf returns the sorted names of a reference object (backend, dataset, …).
func labelsOf(obj cty.Value) []string {
	var names []string
	for n := range obj.Type().AttributeTypes() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// attributeHomes maps each attribute name of the host's blocks to the
// blocks it belongs in, for the hint on a misplaced setting. rho, the
// built-in selectors' setting, is there too: a misplaced rho once trained a
// published run on all tokens.
var attributeHomes = sync.OnceValue(func() map[string][]string {
	homes := map[string][]string{"rho": {"selector"}, "scope": {"selector"}, "entropy": {"selector"}, "compare": {"sweep"}}
	add := func(block string, specs []spec) {
		for _, s := range specs {
			homes[s.name] = append(homes[s.name], block)
		}
	}
	r := &resolver{}
	add("algorithm", algorithmSpecs(r, &Algorithm{}))
	add("dataset", datasetSpecs(r, &Dataset{}))
	add("train", trainSpecs(r, &Train{}))
	add("eval", evalSpecs(&Eval{}))
	add("hooks", hooksSpecs(&Hooks{}))
	add("output", outputSpecs(&Output{}))
	return homes
})

// addHomes adds to each "Unsupported argument" diagnostic of body the
// blocks where that attribute belongs.
func addHomes(diags hcl.Diagnostics, body hcl.Body, here string) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return
	}
	for _, d := range diags {
		if d.Summary != "Unsupported argument" || d.Subject == nil {
			continue
		}
		for name, a := range sb.Attributes {
			if a.NameRange != *d.Subject {
				continue
			}
			var homes []string
			for _, h := range attributeHomes()[name] {
				if h != here {
					homes = append(homes, h)
				}
			}
			if len(homes) > 0 {
				d.Detail += fmt.Sprintf(" %q is a setting of the %s block, not of %s.", name, strings.Join(homes, " or "), here)
			}
		}
	}
}
