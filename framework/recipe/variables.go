package recipe

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// varDecl is a decoded variable block.
type varDecl struct {
	Variable
	ty          cty.Type
	def         cty.Value // cty.NilVal: required
	defRange    *hcl.Range
	declRange   hcl.Range
	validations []validation
}

// validation is a variable's validation rule.
type validation struct {
	condition, message hcl.Expression
}

func decodeVariable(b *hcl.Block) (*varDecl, hcl.Diagnostics) {
	v := &varDecl{Variable: Variable{Name: b.Labels[0], Type: "any"}, ty: cty.DynamicPseudoType, def: cty.NilVal, declRange: b.DefRange}
	content, diags := b.Body.Content(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
	})
	if reserved[v.Name] {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Reserved variable name",
			Detail:   fmt.Sprintf("%q is reserved; choose another name.", v.Name),
			Subject:  b.LabelRanges[0].Ptr(),
		})
	}
	if a, ok := content.Attributes["type"]; ok {
		ty, d := typeexpr.TypeConstraint(a.Expr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			v.ty = ty
			v.Type = typeexpr.TypeString(ty)
		}
	}
	if a, ok := content.Attributes["description"]; ok {
		diags = append(diags, applySpec(str("description", &v.Description), a, &hcl.EvalContext{Functions: functions})...)
	}
	if a, ok := content.Attributes["default"]; ok {
		val, d := a.Expr.Value(&hcl.EvalContext{Functions: functions})
		diags = append(diags, d...)
		if !d.HasErrors() {
			conv, err := convert.Convert(val, v.ty)
			if err != nil {
				diags = append(diags, invalid("default", a.Expr.Range().Ptr(), "The default of variable %q does not fit its type %s: %s.", v.Name, v.Type, err))
			} else {
				v.def, v.defRange = conv, a.Expr.Range().Ptr()
				v.Default, _ = toJSONValue(conv)
			}
		}
	}
	v.Required = v.def == cty.NilVal
	for _, vb := range content.Blocks {
		c, d := vb.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "condition", Required: true}, {Name: "error_message", Required: true},
		}})
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		v.validations = append(v.validations, validation{c.Attributes["condition"].Expr, c.Attributes["error_message"].Expr})
	}
	return v, diags
}

// reserved are names a variable may not take.
var reserved = map[string]bool{"each": true, "count": true, "local": true, "var": true}

func (l *loader) variable(name string) *varDecl {
	for _, v := range l.vars {
		if v.Name == name {
			return v
		}
	}
	return nil
}

func (l *loader) varNames() []string {
	var names []string
	for _, v := range l.vars {
		names = append(names, v.Name)
	}
	return names
}

// commandLineVars parses --var NAME=VALUE settings. A value is an HCL
// expression (a number, a list, a quoted string) unless the variable's type
// is string, in which case it is taken as it is; for a variable without a
// type, a value that is not an expression is a string.
func (l *loader) commandLineVars() (map[string]valueAt, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := map[string]valueAt{}
	for _, kv := range l.opts.Vars {
		name, raw, ok := strings.Cut(kv, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid --var",
				Detail:   fmt.Sprintf("--var takes NAME=VALUE; got %q.", kv),
			})
			continue
		}
		decl := l.variable(name)
		if decl == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Undeclared variable",
				Detail:   fmt.Sprintf("--var %s: the recipe declares no variable %q.%s", kv, name, didYouMean(name, l.varNames())),
			})
			continue
		}
		if decl.ty == cty.String {
			out[name] = valueAt{cty.StringVal(raw), nil}
			continue
		}
		if d := checkNesting("--var "+name, []byte(raw)); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		expr, d := hclsyntax.ParseExpression([]byte(raw), "--var "+name, hcl.InitialPos)
		if !d.HasErrors() {
			var v cty.Value
			v, d = expr.Value(&hcl.EvalContext{Functions: functions})
			if !d.HasErrors() {
				out[name] = valueAt{v, nil}
				continue
			}
		}
		if decl.ty == cty.DynamicPseudoType {
			out[name] = valueAt{cty.StringVal(raw), nil} // an untyped variable: not an expression, so a string
			continue
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid --var value",
			Detail:   fmt.Sprintf("--var %s: %s (write strings in quotes when the variable's type is not string).", kv, d[0].Summary),
		})
	}
	return out, diags
}

// values computes the variables of one run: default, then the command line,
// then the run block's vars; each converted to its type and validated. With
// unknownMissing (the context of the run blocks themselves), a variable
// without a value is unknown and nothing is validated: a run may set it.
func (l *loader) values(cmdline, overrides map[string]valueAt, unknownMissing bool) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vals := map[string]cty.Value{}
	for _, v := range l.vars {
		val, src, ok := v.def, v.defRange, v.def != cty.NilVal
		if c, set := cmdline[v.Name]; set {
			val, src, ok = c.val, c.rng, true
		}
		if o, set := overrides[v.Name]; set {
			val, src, ok = o.val, o.rng, true
		}
		if !ok {
			if unknownMissing {
				vals[v.Name] = cty.UnknownVal(v.ty)
				continue
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for required variable",
				Detail:   fmt.Sprintf("Variable %q has no default; set it with --var %s=VALUE or in a run block's vars.", v.Name, v.Name),
				Subject:  v.declRange.Ptr(),
			})
			vals[v.Name] = cty.UnknownVal(v.ty)
			continue
		}
		conv, err := convert.Convert(val, v.ty)
		if err != nil {
			d := &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail:   fmt.Sprintf("The value for variable %q does not fit its type %s: %s.", v.Name, v.Type, err),
				Subject:  src,
			}
			if src == nil {
				d.Detail = "--var " + d.Detail
			}
			diags = append(diags, d)
			conv = cty.UnknownVal(v.ty)
		}
		vals[v.Name] = conv
		if !unknownMissing {
			diags = append(diags, v.validate(conv, src, vals)...)
		}
	}
	return vals, diags
}

// validate runs a variable's validation rules on its value.
func (v *varDecl) validate(val cty.Value, src *hcl.Range, sofar map[string]cty.Value) hcl.Diagnostics {
	if !val.IsWhollyKnown() {
		return nil
	}
	var diags hcl.Diagnostics
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.Name: val})},
		Functions: functions,
	}
	for _, rule := range v.validations {
		ok, d := eval(rule.condition, ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		ok, err := convert.Convert(ok, cty.Bool)
		if err != nil || ok.IsNull() {
			diags = append(diags, invalid("condition", rule.condition.Range().Ptr(), "A validation condition must be true or false."))
			continue
		}
		if ok.True() {
			continue
		}
		msg := "The value is not valid."
		m, d := eval(rule.message, ctx)
		if !d.HasErrors() && m.Type() == cty.String && !m.IsNull() {
			msg = m.AsString()
		}
		subject := src
		if subject == nil {
			subject = rule.condition.Range().Ptr()
			msg += fmt.Sprintf(" (value given with --var %s)", v.Name)
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("%s\n\nThis was checked by the validation rule at %s.", msg, rule.condition.Range()),
			Subject:  subject,
		})
	}
	return diags
}

// evalLocals evaluates the locals in dependency order.
func (l *loader) evalLocals(vars map[string]cty.Value) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	done := map[string]cty.Value{}
	pending := map[string]*hcl.Attribute{}
	for n, a := range l.locals {
		pending[n] = a
	}
	for len(pending) > 0 {
		var ready []string
		for n, a := range pending {
			blocked := false
			for _, tr := range a.Expr.Variables() {
				if tr.RootName() != "local" || len(tr) < 2 {
					continue
				}
				if step, ok := tr[1].(hcl.TraverseAttr); ok {
					if _, waiting := pending[step.Name]; waiting {
						blocked = true
					}
				}
			}
			if !blocked {
				ready = append(ready, n)
			}
		}
		if len(ready) == 0 {
			var names []string
			for n := range pending {
				names = append(names, n)
			}
			sort.Strings(names)
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cycle in local values",
				Detail:   fmt.Sprintf("The local values %s refer to each other in a cycle.", quotedList(names)),
				Subject:  pending[names[0]].Range.Ptr(),
			})
			return done, diags
		}
		sort.Strings(ready)
		for _, n := range ready {
			ctx := l.context(vars, done)
			v, d := eval(pending[n].Expr, ctx)
			diags = append(diags, d...)
			if d.HasErrors() {
				v = cty.DynamicVal
			}
			done[n] = v
			delete(pending, n)
		}
	}
	return done, diags
}

// context is the evaluation context of a run's blocks.
func (l *loader) context(vars, locals map[string]cty.Value) *hcl.EvalContext {
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"var":   cty.ObjectVal(vars),
		"local": cty.ObjectVal(locals),
	}, Functions: functions}
	for k, v := range l.refs {
		ctx.Variables[k] = v
	}
	return ctx
}

// baseContext is the context run blocks are evaluated in: variables from
// defaults and the command line (required ones unknown), and locals.
func (l *loader) baseContext(cmdline map[string]valueAt) (*hcl.EvalContext, hcl.Diagnostics) {
	vars, diags := l.values(cmdline, nil, true)
	locals, d := l.evalLocals(vars)
	return l.context(vars, locals), append(diags, d...)
}
