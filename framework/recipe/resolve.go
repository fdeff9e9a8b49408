package recipe

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/forkrl/forkrl/framework/data"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// DefaultHookStepBudget is the step budget of a hook call when the hooks
// block does not set one: the hooks runtime's default, hooks.DefaultStepBudget
// (a test of package hooks checks that they agree; the recipe language does
// not import the Starlark runtime).
const DefaultHookStepBudget = 10_000_000

// resolver resolves one run.
type resolver struct {
	*loader
	ctx       *hcl.EvalContext
	algorithm Algorithm
}

// resolve computes one run: variables, locals, then every block.
func (l *loader) resolve(s runSpec, cmdline map[string]valueAt) (*Config, hcl.Diagnostics) {
	vals, diags := l.values(cmdline, s.overrides, false)
	for _, v := range l.vars {
		name := v.Name
		c, onCmdline := cmdline[name]
		if o, ok := s.overrides[name]; ok && onCmdline && !c.val.RawEquals(o.val) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Run block overrides --var",
				Detail:   fmt.Sprintf("Run %q sets variable %q itself, so --var %s does not apply to it.", s.name, name, name),
				Subject:  o.rng,
			})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	locals, d := l.evalLocals(vals)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	r := &resolver{loader: l, ctx: l.context(vals, locals)}
	run := &Config{Name: s.name, Recipe: l.filename, Dir: l.dir, Variables: map[string]any{},
		Backends: []PluginBlock{}, Verifiers: []PluginBlock{}, Selectors: []PluginBlock{}, Datasets: []Dataset{}}
	for name, v := range vals {
		run.Variables[name], _ = toJSONValue(v)
	}
	for _, b := range l.plugins {
		pb := PluginBlock{
			Kind: pluginapi.Kind(b.Type), Type: b.Labels[0], Label: b.Labels[1],
			Body: b.Body, EvalContext: r.ctx, DefRange: b.DefRange, TypeRange: b.LabelRanges[0],
		}
		diags = append(diags, decodePluginBlock(&pb, l.dir, l.opts.Schemas)...)
		list := run.blocks(pb.Kind)
		*list = append(*list, pb)
	}
	for _, b := range l.datasets {
		ds, d := r.decodeDataset(b)
		diags = append(diags, d...)
		run.Datasets = append(run.Datasets, ds)
	}
	alg, d := r.decodeAlgorithm(l.single["algorithm"], run)
	diags = append(diags, d...)
	train, d := r.decodeTrain(l.single["train"], &run.Train)
	diags = append(diags, d...)
	ev, d := r.decodeEval(l.single["eval"], run)
	diags = append(diags, d...)
	run.Hooks, d = r.decodeHooks(l.single["hooks"])
	diags = append(diags, d...)
	run.Output, d = r.decodeOutput(l.single["output"])
	diags = append(diags, d...)
	run.Algorithm = r.algorithm
	if diags.HasErrors() {
		return nil, diags
	}
	diags = append(diags, checkRun(run, alg, train, ev)...)
	run.Algorithm.normalize()
	run.Seed = run.Train.Seed
	if diags.HasErrors() {
		return nil, diags
	}
	return run, diags
}

// ref decodes a reference to a labelled block (backend.policy, or the label
// as a string).
func (r *resolver) ref(name, kind string, dst *string) spec {
	return spec{name, func(v cty.Value, attr *hcl.Attribute) hcl.Diagnostics {
		v, err := convert.Convert(v, cty.String)
		if err != nil {
			return hcl.Diagnostics{invalid(name, attr.Expr.Range().Ptr(), "%s must name a %s block, like %s.NAME; got %s.", name, kind, kind, typeName(v))}
		}
		if d := r.checkLabel(name, kind, v.AsString(), attr.Expr.Range().Ptr()); d != nil {
			return hcl.Diagnostics{d}
		}
		*dst = v.AsString()
		return nil
	}}
}

func (r *resolver) checkLabel(name, kind, label string, rng *hcl.Range) *hcl.Diagnostic {
	labels := labelsOf(r.refs[kind])
	for _, l := range labels {
		if l == label {
			return nil
		}
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Reference to undeclared %s", kind),
		Detail:   fmt.Sprintf("%s names %s %q, which the recipe does not declare.%s Declared: %s.", name, kind, label, didYouMean(label, labels), quotedList(labels)),
		Subject:  rng,
	}
}

// defaultRef fills an unset reference with the only block of its kind. It
// reports true when the reference is unset and there are several blocks.
func (r *resolver) defaultRef(dst *string, kind, attr string, d decoded) bool {
	if d.has(attr) || *dst != "" {
		return false
	}
	labels := labelsOf(r.refs[kind])
	switch len(labels) {
	case 0:
		return false
	case 1:
		*dst = labels[0]
		return false
	}
	return true
}

func (r *resolver) decodeDataset(b *hcl.Block) (Dataset, hcl.Diagnostics) {
	ds := Dataset{Name: b.Labels[0], Shuffle: true, Fields: Fields{Problem: "problem", Answer: "answer"}}
	specs := datasetSpecs(r, &ds)
	d, diags := decodeBody("dataset", b.Body, b.DefRange, r.ctx, specs, hcl.BlockHeaderSchema{Type: "generator", LabelNames: []string{"name"}})
	var gens []*hcl.Block
	for _, g := range d.content.Blocks {
		gens = append(gens, g)
	}
	if len(gens) > 1 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate generator block",
			Detail:   "A dataset has at most one generator.",
			Subject:  gens[1].DefRange.Ptr(),
		})
	}
	switch {
	case len(gens) > 0 && d.has("files"):
		diags = append(diags, invalid("files", d.at("files"), "Dataset %q has both files and a generator; keep one.", ds.Name))
	case len(gens) == 0 && !d.has("files"):
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Dataset without data",
			Detail:   fmt.Sprintf("Dataset %q needs files = [\"path.jsonl\", …] or a generator block such as generator \"countdown\" {}.", ds.Name),
			Subject:  b.DefRange.Ptr(),
		})
	case len(gens) > 0:
		g := gens[0]
		ds.Generator = &PluginBlock{Kind: pluginapi.KindGenerator, Type: g.Labels[0], Label: ds.Name, Body: g.Body, EvalContext: r.ctx, DefRange: g.DefRange, TypeRange: g.LabelRanges[0]}
		diags = append(diags, decodePluginBlock(ds.Generator, r.dir, r.opts.Schemas)...)
		if d.has("format") {
			diags = append(diags, invalid("format", d.at("format"), "format applies to files; a generator makes its records itself."))
		}
	default:
		diags = append(diags, r.checkFiles(&ds, d)...)
	}
	if d.has("eval_count") && d.has("eval_fraction") {
		diags = append(diags, invalid("eval_fraction", d.at("eval_fraction"), "Set eval_count or eval_fraction, not both."))
	}
	if ds.PromptTemplate != "" {
		if _, err := data.NewPrompt(ds.PromptTemplate); err != nil {
			diags = append(diags, invalid("prompt_template", d.at("prompt_template"), "The prompt template is not a template name nor a valid Go text/template: %v.", err))
		}
	}
	if ds.Verifier == "" && !d.has("verifier") {
		if labels := labelsOf(r.refs["verifier"]); len(labels) == 1 {
			ds.Verifier = labels[0]
		}
	}
	return ds, diags
}

// checkFiles resolves a dataset's files against the recipe's folder, checks
// that they exist and infers their format.
func (r *resolver) checkFiles(ds *Dataset, d decoded) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if len(ds.Files) == 0 {
		return hcl.Diagnostics{invalid("files", d.at("files"), "files is empty; name at least one data file.")}
	}
	format := ds.Format
	for i, f := range ds.Files {
		if !filepath.IsAbs(f) {
			ds.Files[i] = filepath.Join(r.dir, f)
		}
		if _, err := os.Stat(ds.Files[i]); err != nil {
			diags = append(diags, invalid("files", d.at("files"), "Cannot read data file %q: %v.", f, err))
		}
		if ds.Format != "" {
			continue
		}
		var ext string
		switch strings.ToLower(filepath.Ext(f)) {
		case ".jsonl", ".json":
			ext = "jsonl"
		case ".parquet":
			ext = "parquet"
		default:
			diags = append(diags, invalid("files", d.at("files"), "Cannot tell the format of %q from its extension; set format = \"jsonl\" or \"parquet\".", f))
			continue
		}
		if format != "" && ext != format {
			diags = append(diags, invalid("files", d.at("files"), "The files mix formats (%s and %s); use one dataset per format.", format, ext))
		}
		format = ext
	}
	ds.Format = format
	return diags
}

func (r *resolver) decodeTrain(b *hcl.Block, t *Train) (decoded, hcl.Diagnostics) {
	*t = Train{
		Steps: 100, PromptsPerStep: 32, ResponsesPerPrompt: 8,
		Temperature: 1, TopP: 1, MaxResponseTokens: 256,
		LearningRate: 1e-6, LRSchedule: ScheduleConstant,
		Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, WeightDecay: 0.01, MaxGradNorm: 1,
		Seed: 1,
	}
	if r.algorithm.Supervised() {
		t.ResponsesPerPrompt = 1
	}
	specs := trainSpecs(r, t)
	d, diags := decodeBody("train", b.Body, b.DefRange, r.ctx, specs)
	if r.defaultRef(&t.Dataset, "dataset", "dataset", d) {
		diags = append(diags, invalid("dataset", d.def.Ptr(), "The recipe has several datasets; say which one is trained on: dataset = dataset.NAME."))
	}
	if t.MiniBatchSize == 0 {
		t.MiniBatchSize = t.PromptsPerStep * t.ResponsesPerPrompt
	}
	if t.MicroBatchSize == 0 {
		t.MicroBatchSize = t.MiniBatchSize
	}
	return d, diags
}

func (r *resolver) decodeEval(b *hcl.Block, run *Config) (decoded, hcl.Diagnostics) {
	e := &run.Eval
	*e = Eval{N: 1, K: []int{1}, Temperature: run.Train.Temperature, TopP: run.Train.TopP, MaxResponseTokens: run.Train.MaxResponseTokens}
	gate := EntropyGate{THigh: e.Temperature, TLow: e.Temperature}
	specs := append(evalSpecs(e),
		num("entropy_gate", &gate.Threshold, atLeast(0)),
		num("t_high", &gate.THigh, above(0)),
		num("t_low", &gate.TLow, above(0)))
	if b == nil {
		e.Datasets = []string{run.Train.Dataset}
		return decoded{content: &hcl.BodyContent{Attributes: hcl.Attributes{}}, def: r.single["train"].DefRange}, nil
	}
	d, diags := decodeBody("eval", b.Body, b.DefRange, r.ctx, specs)
	if d.has("temperature") && !d.has("t_high") {
		gate.THigh = e.Temperature
	}
	if d.has("temperature") && !d.has("t_low") {
		gate.TLow = e.Temperature
	}
	switch {
	case d.has("entropy_gate"):
		e.EntropyGate = &gate
	case d.has("t_high") || d.has("t_low"):
		name := "t_high"
		if !d.has(name) {
			name = "t_low"
		}
		diags = append(diags, invalid(name, d.at(name), "%s is the temperature of the entropy gate; set entropy_gate (the entropy threshold, in nats at temperature 1) to turn the gate on.", name))
	}
	switch {
	case !d.has("n") && d.has("k"):
		e.N = e.K[len(e.K)-1] // k alone: as many samples as the largest k
	case d.has("n") && !d.has("k"):
		e.K = []int{e.N}
	}
	if k := e.K[len(e.K)-1]; k > e.N && !diags.HasErrors() {
		diags = append(diags, invalid("k", d.at("k"), "pass@%d needs at least %d samples per problem, and n is %d; raise n or lower k.", k, k, e.N))
	}
	if !d.has("datasets") {
		e.Datasets = []string{run.Train.Dataset}
	}
	for _, name := range e.Datasets {
		if diag := r.checkLabel("datasets", "dataset", name, d.at("datasets")); diag != nil {
			diags = append(diags, diag)
		}
	}
	if e.N > 1 && e.Temperature == 0 {
		subject := d.at("n")
		if !d.has("n") {
			subject = d.at("k")
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "n samples at temperature 0",
			Detail:   fmt.Sprintf("Greedy decoding draws the same response %d times, so every pass@k equals avg@%d.", e.N, e.N),
			Subject:  subject,
		})
	}
	return d, diags
}

func (r *resolver) decodeHooks(b *hcl.Block) (*Hooks, hcl.Diagnostics) {
	if b == nil {
		return nil, nil
	}
	h := &Hooks{StepBudget: DefaultHookStepBudget}
	d, diags := decodeBody("hooks", b.Body, b.DefRange, r.ctx, hooksSpecs(h))
	if !d.has("file") {
		if !diags.HasErrors() {
			diags = append(diags, invalid("file", d.def.Ptr(), "The hooks block needs file = \"hooks.star\", the Starlark file of the hooks."))
		}
		return h, diags
	}
	if h.StepBudget == 0 {
		diags = append(diags, invalid("step_budget", d.at("step_budget"), "step_budget must be at least 1."))
	}
	if !filepath.IsAbs(h.File) {
		h.File = filepath.Join(r.dir, h.File)
	}
	if _, err := os.Stat(h.File); err != nil {
		diags = append(diags, invalid("file", d.at("file"), "Cannot read the hooks file: %v.", err))
	}
	return h, diags
}

func (r *resolver) decodeOutput(b *hcl.Block) (Output, hcl.Diagnostics) {
	o := Output{Dir: "runs", RolloutSamples: 8}
	if b == nil {
		return o, nil
	}
	d, diags := decodeBody("output", b.Body, b.DefRange, r.ctx, outputSpecs(&o))
	if o.Dir == "" {
		diags = append(diags, invalid("dir", d.at("dir"), "dir must not be empty."))
	} else if !filepath.IsAbs(o.Dir) {
		o.Dir = filepath.Join(r.dir, o.Dir)
	}
	return o, diags
}

// checkRun checks what involves several blocks: batch sizes against each
// other and against the algorithm, and what the datasets need.
func checkRun(run *Config, alg, train, ev decoded) hcl.Diagnostics {
	var diags hcl.Diagnostics
	a, t := &run.Algorithm, &run.Train
	total := t.PromptsPerStep * t.ResponsesPerPrompt
	if total%t.MiniBatchSize != 0 {
		diags = append(diags, invalid("mini_batch_size", train.at("mini_batch_size"),
			"mini_batch_size (%d responses) must divide the responses of a step: prompts_per_step × responses_per_prompt = %d × %d = %d.",
			t.MiniBatchSize, t.PromptsPerStep, t.ResponsesPerPrompt, total))
	} else if t.MiniBatchSize%t.MicroBatchSize != 0 {
		diags = append(diags, invalid("micro_batch_size", train.at("micro_batch_size"),
			"micro_batch_size (%d) must divide mini_batch_size (%d).", t.MicroBatchSize, t.MiniBatchSize))
	}
	switch a.Advantage {
	case AdvantageGRPO, AdvantageDrGRPO, AdvantageRLOO:
		if t.ResponsesPerPrompt < 2 {
			diags = append(diags, invalid("responses_per_prompt", train.at("responses_per_prompt"),
				"The %q advantage compares the responses to one prompt, so responses_per_prompt must be at least 2; got %d.", a.Advantage, t.ResponsesPerPrompt))
		}
	case AdvantageNone:
		if t.ResponsesPerPrompt != 1 {
			diags = append(diags, invalid("responses_per_prompt", train.at("responses_per_prompt"),
				"sft trains on each problem's reference once, so responses_per_prompt must be 1; got %d.", t.ResponsesPerPrompt))
		}
	}
	if a.Overlong {
		if a.OverlongLength == 0 {
			a.OverlongLength = t.MaxResponseTokens
		}
		if a.OverlongLength > t.MaxResponseTokens {
			diags = append(diags, invalid("overlong_length", alg.at("overlong_length"),
				"overlong_length (%d) must be at most train.max_response_tokens (%d): responses never get longer.", a.OverlongLength, t.MaxResponseTokens))
		}
		if a.OverlongBuffer == 0 {
			a.OverlongBuffer = max(1, a.OverlongLength/5)
		}
		if a.OverlongBuffer > a.OverlongLength {
			diags = append(diags, invalid("overlong_buffer", alg.at("overlong_buffer"),
				"overlong_buffer (%d) must be at most overlong_length (%d).", a.OverlongBuffer, a.OverlongLength))
		}
	}
	if t.LRSchedule == ScheduleConstant && train.has("min_lr_ratio") {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "min_lr_ratio has no effect here",
			Detail:   "min_lr_ratio is the floor of a decaying schedule, and lr_schedule is \"constant\". Remove it, or set lr_schedule = \"linear\" or \"cosine\".",
			Subject:  train.content.Attributes["min_lr_ratio"].NameRange.Ptr(),
		})
	}
	if t.WarmupSteps > t.Steps {
		diags = append(diags, invalid("warmup_steps", train.at("warmup_steps"), "warmup_steps (%d) must be at most steps (%d).", t.WarmupSteps, t.Steps))
	}
	if a.CriticWarmupSteps >= t.Steps && a.Advantage == AdvantageGAE && alg.has("critic_warmup_steps") {
		diags = append(diags, invalid("critic_warmup_steps", alg.at("critic_warmup_steps"), "critic_warmup_steps (%d) leaves no step to train the policy (steps = %d).", a.CriticWarmupSteps, t.Steps))
	}
	needVerifier := map[string]*hcl.Range{}
	if !a.Supervised() && t.Dataset != "" {
		needVerifier[t.Dataset] = train.at("dataset")
	}
	for _, name := range run.Eval.Datasets {
		ds, ok := run.Dataset(name)
		if !ok {
			continue
		}
		needVerifier[name] = ev.at("datasets")
		if ds.Split.EvalCount == 0 && ds.Split.EvalFraction == 0 {
			diags = append(diags, invalid("datasets", ev.at("datasets"),
				"Dataset %q is evaluated but holds nothing out for evaluation; set eval_count or eval_fraction in it.", name))
		}
	}
	for _, ds := range run.Datasets {
		if rng, ok := needVerifier[ds.Name]; ok && ds.Verifier == "" {
			detail := fmt.Sprintf("Dataset %q is scored (by training or evaluation) but has no verifier; add a verifier block", ds.Name)
			if len(run.Verifiers) > 1 {
				detail = fmt.Sprintf("Dataset %q is scored (by training or evaluation) and the recipe has several verifiers; set verifier = verifier.NAME in it", ds.Name)
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No verifier for dataset", Detail: detail + ".", Subject: rng})
		}
	}
	return diags
}

// datasetSpecs are the attributes of a dataset block, decoded into ds.
func datasetSpecs(r *resolver, ds *Dataset) []spec {
	return []spec{
		strList("files", &ds.Files),
		str("format", &ds.Format, "jsonl", "parquet"),
		str("prompt_template", &ds.PromptTemplate),
		str("problem_field", &ds.Fields.Problem),
		str("answer_field", &ds.Fields.Answer),
		str("id_field", &ds.Fields.ID),
		integer("eval_count", &ds.Split.EvalCount, atLeast(0)),
		num("eval_fraction", &ds.Split.EvalFraction, atLeast(0), below(1)),
		boolean("shuffle", &ds.Shuffle),
		unsigned("seed", &ds.Seed),
		integer("limit", &ds.Limit, atLeast(0)),
		r.ref("verifier", "verifier", &ds.Verifier),
	}
}

// trainSpecs are the attributes of the train block, decoded into t.
func trainSpecs(r *resolver, t *Train) []spec {
	return []spec{
		r.ref("dataset", "dataset", &t.Dataset),
		integer("steps", &t.Steps, atLeast(1)),
		integer("prompts_per_step", &t.PromptsPerStep, atLeast(1)),
		integer("responses_per_prompt", &t.ResponsesPerPrompt, atLeast(1)),
		integer("mini_batch_size", &t.MiniBatchSize, atLeast(1)),
		integer("micro_batch_size", &t.MicroBatchSize, atLeast(1)),
		num("temperature", &t.Temperature, trainingTemperature),
		num("top_p", &t.TopP, above(0), atMost(1)),
		integer("max_response_tokens", &t.MaxResponseTokens, atLeast(1)),
		num("learning_rate", &t.LearningRate, above(0)),
		str("lr_schedule", &t.LRSchedule, ScheduleConstant, ScheduleLinear, ScheduleCosine),
		integer("warmup_steps", &t.WarmupSteps, atLeast(0)),
		num("min_lr_ratio", &t.MinLRRatio, atLeast(0), atMost(1)),
		num("beta1", &t.Beta1, atLeast(0), below(1)),
		num("beta2", &t.Beta2, atLeast(0), below(1)),
		num("epsilon", &t.Epsilon, above(0)),
		num("weight_decay", &t.WeightDecay, atLeast(0)),
		num("max_grad_norm", &t.MaxGradNorm, atLeast(0)),
		unsigned("seed", &t.Seed),
		integer("checkpoint_interval", &t.CheckpointInterval, atLeast(0)),
	}
}

// trainingTemperature refuses greedy sampling for training: it has no
// sampling distribution, so its log-probs (0) would be taken for the old
// policy's. Evaluation may sample greedily.
func trainingTemperature(x float64) string {
	if x <= 0 {
		return "greater than 0 (temperature 0 samples greedily, for evaluation only: its log-probs are 0, not the policy's, and would be trained on as the old policy's)"
	}
	return ""
}

// evalSpecs are the attributes of the eval block, decoded into e.
func evalSpecs(e *Eval) []spec {
	return []spec{
		strList("datasets", &e.Datasets),
		integer("n", &e.N, atLeast(1)),
		integers("k", &e.K, atLeast(1)),
		integer("problems", &e.Problems, atLeast(0)),
		num("temperature", &e.Temperature, atLeast(0)),
		num("top_p", &e.TopP, above(0), atMost(1)),
		integer("max_response_tokens", &e.MaxResponseTokens, atLeast(1)),
		integer("interval", &e.Interval, atLeast(0)),
	}
}

// hooksSpecs are the attributes of the hooks block, decoded into h.
func hooksSpecs(h *Hooks) []spec {
	return []spec{str("file", &h.File), unsigned("step_budget", &h.StepBudget)}
}

// outputSpecs are the attributes of the output block, decoded into o.
func outputSpecs(o *Output) []spec {
	return []spec{str("dir", &o.Dir), integer("rollout_samples", &o.RolloutSamples, atLeast(0)), boolean("tensorboard", &o.TensorBoard)}
}
