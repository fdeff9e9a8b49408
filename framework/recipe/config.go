package recipe

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/hashicorp/hcl/v2"
)

// Config is the fully resolved configuration of one run of a recipe: every variable, local, preset and
// default applied, every reference checked. A recipe without run blocks has
// one run; each run block adds one run, or one per element of its for_each.
//
// The trainer consumes a Config as it is; nothing in it needs the recipe again.
// Its JSON rendering (MarshalJSON) is what a run directory records as the
// resolved settings.
type Config struct {
	// Name names the run and its directory: the recipe's base name without
	// ".hcl" when the recipe has no run blocks, the run block's label without
	// for_each, and LABEL-KEY with for_each (see Recipe).
	Name string `json:"name"`
	// Recipe is the path of the recipe file, as given to Load.
	Recipe string `json:"recipe"`
	// Dir is the recipe's folder: relative paths in the recipe (dataset
	// files, hooks, plugin sources) are resolved against it.
	Dir string `json:"dir"`
	// Seed is the run seed (train.seed); every random stream derives from it by name.
	Seed uint64 `json:"seed"`
	// Variables are the values of the recipe's variables in this run.
	Variables map[string]any `json:"variables"`

	Backends  []PluginBlock `json:"backends"`  // in recipe order
	Verifiers []PluginBlock `json:"verifiers"` // in recipe order
	Selectors []PluginBlock `json:"selectors"` // in recipe order; may be empty (all tokens)
	Datasets  []Dataset     `json:"datasets"`  // in recipe order; at least one

	Algorithm Algorithm `json:"algorithm"`
	Train     Train     `json:"train"`
	Eval      Eval      `json:"eval"`
	Hooks     *Hooks    `json:"hooks"` // nil: no hooks
	Output    Output    `json:"output"`
}

// Backend returns the backend block with the given label.
func (r *Config) Backend(label string) (*PluginBlock, bool) { return findBlock(r.Backends, label) }

// Verifier returns the verifier block with the given label.
func (r *Config) Verifier(label string) (*PluginBlock, bool) { return findBlock(r.Verifiers, label) }

// Selector returns the selector block with the given label.
func (r *Config) Selector(label string) (*PluginBlock, bool) { return findBlock(r.Selectors, label) }

// Dataset returns the dataset with the given name.
func (r *Config) Dataset(name string) (*Dataset, bool) {
	for i := range r.Datasets {
		if r.Datasets[i].Name == name {
			return &r.Datasets[i], true
		}
	}
	return nil, false
}

// Plugins returns the run's top-level plugin blocks (a dataset's generator
// is its dataset's), in the order of pluginapi.Kinds and, within a kind, in
// recipe order.
func (r *Config) Plugins() []*PluginBlock {
	var out []*PluginBlock
	for _, k := range topKinds {
		bs := *r.blocks(k)
		for i := range bs {
			out = append(out, &bs[i])
		}
	}
	return out
}

// blocks returns the list of the run's blocks of kind k, a top-level kind.
func (r *Config) blocks(k pluginapi.Kind) *[]PluginBlock {
	switch k {
	case pluginapi.KindBackend:
		return &r.Backends
	case pluginapi.KindVerifier:
		return &r.Verifiers
	case pluginapi.KindSelector:
		return &r.Selectors
	}
	panic(fmt.Sprintf("recipe: a run has no list of %s blocks", k))
}

func findBlock(bs []PluginBlock, label string) (*PluginBlock, bool) {
	for i := range bs {
		if bs[i].Label == label {
			return &bs[i], true
		}
	}
	return nil, false
}

// JSON renders the resolved settings as indented JSON, the form a run
// directory records.
func (r *Config) JSON() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}

// Isolation values of a plugin block.
const (
	// IsolationProcess runs the plugin in its own process over gRPC (the default).
	IsolationProcess = "process"
	// IsolationInProcess calls a built-in plugin inside the forkrl process,
	// without the gRPC hop. External plugins (with a source) cannot use it.
	IsolationInProcess = "inproc"
)

// PluginBlock is a labelled plugin block of a recipe, such as
// `backend "tinylm" "policy" { … }`, or a dataset's generator block.
type PluginBlock struct {
	Kind  pluginapi.Kind `json:"kind"`  // backend, verifier, selector or generator
	Type  string         `json:"type"`  // first label: the plugin's name, e.g. "tinylm"
	Label string         `json:"label"` // second label: this instance's name, e.g. "policy" (generators: the dataset's name)
	// Source is the path of an external plugin executable, resolved against
	// the recipe's folder; empty for a built-in plugin.
	Source string `json:"source,omitempty"`
	// SHA256 is the expected hex sha256 of Source; required with Source.
	SHA256 string `json:"sha256,omitempty"`
	// Isolation is IsolationProcess or IsolationInProcess (not for generators).
	Isolation string `json:"isolation,omitempty"`
	// Timeout bounds each call to the plugin, as a duration ("30m"); empty:
	// the host's default (10 minutes). See CallTimeout.
	Timeout string `json:"timeout,omitempty"`
	// Scope and Entropy are a selector's host settings: which tokens one
	// Select call sees (selector.ScopeMicro, ScopeMini or ScopeStep) and where their
	// entropies come from (EntropyCurrent or EntropyOld). The algorithm copies
	// those of the selector it uses into SelectScope and SelectEntropy.
	// Empty for other kinds.
	Scope   string `json:"scope,omitempty"`
	Entropy string `json:"entropy,omitempty"`
	// Settings are the block's other attributes, decoded against the schema
	// the plugin declares (defaults applied), ready for Configure. When Load
	// had no schema for the plugin they are the attributes as written, and
	// Checked is false.
	Settings pluginapi.Settings `json:"settings"`
	// Checked reports whether Settings were decoded against the plugin's schema.
	Checked bool `json:"-"`

	// Body is the block's body, kept so that it can be decoded again against
	// a schema obtained later (DecodeSettings with EvalContext).
	Body hcl.Body `json:"-"`
	// EvalContext is the context the body's expressions are evaluated in
	// (variables, locals and functions of this run).
	EvalContext *hcl.EvalContext `json:"-"`
	// Dir is the recipe's folder, against which relative values of settings
	// of type "path" are resolved.
	Dir string `json:"-"`
	// DefRange is the range of the block's header, TypeRange that of its first label.
	DefRange  hcl.Range `json:"-"`
	TypeRange hcl.Range `json:"-"`
}

// CallTimeout is the bound on each call to the plugin that the block's
// timeout sets; zero: none set.
func (b *PluginBlock) CallTimeout() time.Duration {
	d, _ := time.ParseDuration(b.Timeout) // checked when the recipe was loaded
	return d
}

// Dataset is a named source of problems: JSONL or parquet files, or a
// built-in generator, split into a train and an eval part.
type Dataset struct {
	Name string `json:"name"`
	// Files are the data files, resolved against the recipe's folder, read in
	// order. Empty when Generator is set.
	Files []string `json:"files,omitempty"`
	// Format is "jsonl" or "parquet" (from the files' extension unless set).
	Format string `json:"format,omitempty"`
	// Generator is the built-in generator that makes the problems (Kind
	// pluginapi.KindGenerator, Type its name such as "countdown"); nil for files.
	Generator *PluginBlock `json:"generator,omitempty"`
	// PromptTemplate is a Go text/template over a record's fields (e.g.
	// "Make {{.target}} from {{.numbers}}."), executed to make the prompt.
	// Empty: the problem field is the prompt.
	PromptTemplate string `json:"prompt_template"`
	// Fields maps the roles the trainer needs to the records' field names.
	Fields Fields `json:"fields"`
	// Split says which records are held out for evaluation.
	Split Split `json:"split"`
	// Shuffle draws the train records in a seeded random order (the stream
	// "data/NAME" of the run seed, or Seed when set) instead of file order.
	Shuffle bool `json:"shuffle"`
	// Seed, when non-zero, seeds this dataset's order and split instead of the run seed.
	Seed uint64 `json:"seed"`
	// Limit keeps only the first Limit records (after generation or reading); 0: all.
	Limit int `json:"limit"`
	// Verifier is the label of the verifier block that scores this dataset.
	Verifier string `json:"verifier"`
}

// Fields names the record fields a dataset's roles come from.
type Fields struct {
	Problem string `json:"problem"` // the problem text (default "problem")
	Answer  string `json:"answer"`  // the reference answer given to the verifier (default "answer")
	ID      string `json:"id"`      // a stable record id, if any (default: none, the record index)
}

// Split holds out part of a dataset for evaluation. At most one of EvalCount
// and EvalFraction is non-zero; the held-out records are chosen with the
// dataset's seeded stream ("split/NAME") and never appear in training.
type Split struct {
	EvalCount    int     `json:"eval_count"`    // number of held-out records
	EvalFraction float64 `json:"eval_fraction"` // fraction of records held out, in [0,1)
}

// Presets of the algorithm block.
const (
	PresetDAPO = "dapo"
	PresetGRPO = "grpo"
	PresetPPO  = "ppo"
	PresetSFT  = "sft"
)

// Advantage estimators.
const (
	AdvantageGRPO   = "grpo"   // (r − mean of group) / std of group
	AdvantageDrGRPO = "drgrpo" // r − mean of group (Dr. GRPO: no std normalisation)
	AdvantageRLOO   = "rloo"   // r − mean of the other responses of the group
	AdvantageGAE    = "gae"    // generalised advantage estimation with a value function (PPO)
	AdvantageNone   = "none"   // SFT: no advantage, dL/dlogp = −1/N on reference tokens
)

// KLNone is the kl_estimator of an algorithm without a KL term; the others
// are kernels/loss's Estimator names (k1, k2, k3; k3 is verl's "low_var_kl").
// The loss_agg and loss_denominator names are kernels/loss's Aggregation and
// Denominator names.
const KLNone = "none"

// Where the KL term goes.
const (
	KLInLoss   = "loss"   // added to the policy loss (GRPO)
	KLInReward = "reward" // subtracted from the token rewards (classic PPO)
)

// What a step does when dynamic sampling's retries run out before its batch
// is full.
const (
	ExhaustedTrain = "train" // train on the partial batch (and say so)
	ExhaustedError = "error" // stop the run with an error, as DAPO does
	ExhaustedSkip  = "skip"  // train nothing this step
)

// How many prompts the first generation round of a step with dynamic sampling draws.
const (
	FirstRoundBatch    = "batch"     // the step's prompts_per_step
	FirstRoundKeepRate = "keep_rate" // prompts_per_step divided by the previous step's keep rate
)

// Entropy sources for selection.
const (
	EntropyCurrent = "current" // from the current policy's Forward during the update (the paper's code)
	EntropyOld     = "old"     // from the old policy's scoring pass before the update
)

// Algorithm is the resolved algorithm block: a preset with every field
// overridable. Fields that do not apply to the chosen advantage estimator or
// preset are zero and may not be set in the recipe.
type Algorithm struct {
	// Preset is dapo, grpo, ppo or sft: the block's label.
	Preset string `json:"preset"`

	// Policy is the label of the backend being trained.
	Policy string `json:"policy"`
	// Reference is the label of the backend used as the frozen KL reference;
	// empty: a frozen copy of the policy's initial weights (only used when
	// KLEstimator is not "none").
	Reference string `json:"reference"`
	// Critic is the label of a backend used as PPO's critic; empty: the
	// policy's value head.
	Critic string `json:"critic"`

	// Selector is the label of the selector block; empty: every valid token
	// gets weight 1.
	Selector string `json:"selector"`
	// SelectScope is selector.ScopeMicro, ScopeMini or ScopeStep, and SelectEntropy
	// EntropyCurrent or EntropyOld: the scope and entropy settings of the
	// selector block (empty without a selector). selector.ScopeStep comes with
	// EntropyOld: the policy changes between mini-batches.
	SelectScope   string `json:"select_scope"`
	SelectEntropy string `json:"select_entropy"`

	// Advantage is the estimator: grpo, drgrpo, rloo, gae or none.
	Advantage string `json:"advantage"`

	// ClipLow and ClipHigh are the PPO ratio clip ε_low and ε_high: the
	// ratio is clipped to [1−ClipLow, 1+ClipHigh]. ≥ 0; ClipLow < 1.
	ClipLow  float64 `json:"clip_low"`
	ClipHigh float64 `json:"clip_high"`
	// DualClip is the dual-clip constant c (> 1) bounding the loss of
	// negative-advantage tokens at −c·A; 0: off.
	DualClip float64 `json:"dual_clip"`

	// LossAgg is the loss aggregation: token-mean, seq-mean-token-mean,
	// seq-mean-token-sum or seq-mean-token-sum-norm.
	LossAgg string `json:"loss_agg"`
	// LossDenominator is, for token-mean with a selector, the name of a
	// loss.Denominator: "all" or "selected".
	LossDenominator string `json:"loss_denominator"`

	// KLEstimator is none, k1, k2 or k3; KLCoef its coefficient (≥ 0);
	// KLPenalty KLInLoss or KLInReward.
	KLEstimator string  `json:"kl_estimator"`
	KLCoef      float64 `json:"kl_coef"`
	KLPenalty   string  `json:"kl_penalty"`

	// EntropyCoef multiplies the entropy bonus subtracted from the loss (≥ 0).
	EntropyCoef float64 `json:"entropy_coef"`

	// DynamicSampling drops groups whose rewards are all equal and samples
	// more prompts until the step's batch is full, at most
	// DynamicSamplingMaxRetries extra generation rounds per step.
	// DynamicSamplingOnExhausted says what a step does when the retries run
	// out before the batch is full: ExhaustedTrain, ExhaustedError or
	// ExhaustedSkip (empty without dynamic sampling). DynamicSamplingFirstRound
	// sizes a step's first generation round: FirstRoundBatch or empty (the
	// step's prompts, the default) or FirstRoundKeepRate (the step's prompts divided by the
	// fraction of generated groups the previous step kept, at least 0.1, so
	// that one round usually fills the batch).
	DynamicSampling            bool   `json:"dynamic_sampling"`
	DynamicSamplingMaxRetries  int    `json:"dynamic_sampling_max_retries"`
	DynamicSamplingOnExhausted string `json:"dynamic_sampling_on_exhausted,omitempty"`
	DynamicSamplingFirstRound  string `json:"dynamic_sampling_first_round,omitempty"`

	// Overlong enables DAPO's soft overlong punishment: a response longer
	// than OverlongLength−OverlongBuffer tokens loses
	// OverlongPenalty·(len−(OverlongLength−OverlongBuffer))/OverlongBuffer
	// reward, up to OverlongPenalty. OverlongLength defaults to
	// train.max_response_tokens and OverlongBuffer to a fifth of it (DAPO's
	// 4096 of 20480); both in tokens.
	Overlong        bool    `json:"overlong"`
	OverlongLength  int     `json:"overlong_length"`
	OverlongBuffer  int     `json:"overlong_buffer"`
	OverlongPenalty float64 `json:"overlong_penalty"`

	// Gamma and Lambda are GAE's discount γ and λ, in [0,1] (gae only).
	Gamma  float64 `json:"gamma"`
	Lambda float64 `json:"lambda"`
	// ValueCoef weighs the value loss against the policy loss when the
	// value head shares the policy's optimizer (gae only).
	ValueCoef float64 `json:"value_coef"`
	// ValueClip clips the new value to old ± ValueClip in the value loss; 0: off (gae only).
	ValueClip float64 `json:"value_clip"`
	// CriticWarmupSteps trains only the value function for this many steps first (gae only).
	CriticWarmupSteps int `json:"critic_warmup_steps"`

	// Epochs is the number of update passes over each step's batch (≥ 1).
	Epochs int `json:"epochs"`
}

// Supervised reports whether the algorithm is supervised fine-tuning (the
// sft preset): it trains on the reference responses of the train dataset,
// with no rollouts, rewards or policy-gradient loss.
func (a *Algorithm) Supervised() bool { return a.Preset == PresetSFT }

// Learning-rate schedules.
const (
	ScheduleConstant = "constant"
	ScheduleLinear   = "linear" // linear decay to MinLRRatio·LearningRate at the last step
	ScheduleCosine   = "cosine" // cosine decay to MinLRRatio·LearningRate at the last step
)

// Train is the resolved train block.
type Train struct {
	// Dataset is the name of the dataset whose train split is trained on.
	Dataset string `json:"dataset"`
	// Steps is the number of training steps (optimizer steps = Steps ×
	// mini-batches per step × epochs).
	Steps int `json:"steps"`
	// PromptsPerStep is the number of prompts per step (after dynamic
	// sampling's filtering); ResponsesPerPrompt the group size G.
	PromptsPerStep     int `json:"prompts_per_step"`
	ResponsesPerPrompt int `json:"responses_per_prompt"`
	// MiniBatchSize is the number of responses per optimizer step; it
	// divides PromptsPerStep×ResponsesPerPrompt. MicroBatchSize is the
	// number of responses per Forward/Backward call; it divides MiniBatchSize.
	MiniBatchSize  int `json:"mini_batch_size"`
	MicroBatchSize int `json:"micro_batch_size"`

	// Sampling of the rollouts.
	Temperature       float64 `json:"temperature"`         // > 0 (greedy sampling is for evaluation only)
	TopP              float64 `json:"top_p"`               // in (0,1]; 1: no truncation
	MaxResponseTokens int     `json:"max_response_tokens"` // ≥ 1

	// AdamW.
	LearningRate float64 `json:"learning_rate"` // > 0
	LRSchedule   string  `json:"lr_schedule"`   // constant, linear or cosine
	WarmupSteps  int     `json:"warmup_steps"`  // linear warm-up from 0, in steps
	MinLRRatio   float64 `json:"min_lr_ratio"`  // floor of linear/cosine decay, in [0,1]
	Beta1        float64 `json:"beta1"`
	Beta2        float64 `json:"beta2"`
	Epsilon      float64 `json:"epsilon"`
	WeightDecay  float64 `json:"weight_decay"`
	MaxGradNorm  float64 `json:"max_grad_norm"` // 0: no clipping

	// Seed is the run seed.
	Seed uint64 `json:"seed"`
	// CheckpointInterval is the number of steps between checkpoints; 0: only at the end.
	CheckpointInterval int `json:"checkpoint_interval"`
}

// Eval is the resolved eval block.
type Eval struct {
	// Datasets are the names of the datasets whose eval splits are evaluated.
	Datasets []string `json:"datasets"`
	// N is the number of samples per problem; avg@N, their mean accuracy,
	// is reported.
	N int `json:"n"`
	// K are the k of the unbiased pass@k reported (from the N samples),
	// ascending, each at most N.
	K []int `json:"k"`
	// Problems caps the number of eval problems per dataset; 0: the whole eval split.
	Problems int `json:"problems"`
	// Sampling of the evaluation responses; Temperature 0 samples greedily.
	Temperature       float64 `json:"temperature"`
	TopP              float64 `json:"top_p"`
	MaxResponseTokens int     `json:"max_response_tokens"`
	// Interval is the number of steps between evaluations; 0: only at the
	// start and the end (which always run).
	Interval int `json:"interval"`
	// EntropyGate, when set, samples each token at THigh where the entropy
	// of its distribution at temperature 1 is above Threshold, else at TLow
	// (the paper's decoding experiment).
	EntropyGate *EntropyGate `json:"entropy_gate,omitempty"`
}

// EntropyGate is an entropy-gated sampling temperature.
type EntropyGate struct {
	Threshold float64 `json:"threshold"` // nats, read at temperature 1
	THigh     float64 `json:"t_high"`
	TLow      float64 `json:"t_low"`
}

// Hooks is the resolved hooks block.
type Hooks struct {
	// File is the Starlark file, resolved against the recipe's folder.
	File string `json:"file"`
	// StepBudget is the most Starlark execution steps one hook call may take.
	StepBudget uint64 `json:"step_budget"`
}

// Output is the resolved output block.
type Output struct {
	// Dir is the folder that holds run directories (Dir/NAME): as written in
	// the recipe, resolved against the recipe's folder; by default "runs" in
	// the current directory of the forkrl process.
	Dir string `json:"dir"`
	// RolloutSamples is the number of rollouts per step written with their
	// per-token entropies for later analysis.
	RolloutSamples int `json:"rollout_samples"`
	// TensorBoard: keep a TensorBoard event file of the metrics and
	// evaluations in the run directory's tensorboard folder as the run
	// trains.
	TensorBoard bool `json:"tensorboard,omitempty"`
}
