# The paper's training setup (Wang et al. 2025, "Beyond the 80/20 Rule", §4):
# DAPO on DAPO-Math-17K from a base model, the policy gradient restricted to
# the top-ρ (20%) highest-entropy tokens, evaluated on AIME'24, AIME'25,
# AMC'23, MATH500, Minerva Math and OlympiadBench. Reward: 1 when the last
# \boxed{} answer is equivalent to the reference (the built-in math verifier).
#
# Hyper-parameters (the paper's, after DAPO's recipe): clip 0.2 / 0.28,
# overlong shaping with a 4,096-token buffer within 20,480 tokens, dynamic
# sampling, token-mean loss, 512 prompts × 16 responses per step, mini-batches
# of 32 prompts (= 512 responses, 16 updates per step), learning rate 1e-6,
# temperature 1, ρ = 0.2.
#
# Which token-mean: the paper's eq. 6 and its released code differ, and
# `--var objective=...` picks one:
#   - "code" (the default): the released code (verl's dp_actor with the
#     entropy mask), which made the paper's numbers. Each micro-batch selects
#     its own top-ρ tokens and averages its loss over its selected tokens only
#     (loss_denominator = "selected", selector scope "micro"); micro-batches
#     average over the mini-batch. Its micro-batch is one data-parallel rank's
#     share of a mini-batch: in the released Qwen3-14B script, 512 responses
#     over 16 ranks (16 nodes × 8 GPUs, sequence parallel 8) = 32 responses,
#     the micro_batch_size below. verl packs a rank's sequences into
#     micro-batches of at most 22,528 × 8 tokens (use_dynamic_bsz), so while
#     prompt and response average under 5,632 tokens a rank has one
#     micro-batch of 32 and this is the code exactly; longer sequences split
#     a rank's share further by tokens, which forkrl's micro-batches, counted
#     in responses, do not follow.
#   - "eq6": the paper's eq. 6: the top-ρ tokens of the whole mini-batch,
#     the loss averaged over all its response tokens (loss_denominator = "all",
#     scope "mini"), as TRL does. Top-ρ gradients are then about ρ times
#     smaller than the all-tokens arm's, so max_grad_norm (1) may clip one
#     arm and not the other: compare actor/grad_clipped across arms.
# With arm = "all" the two objectives are the same (every token is selected).
#
# The backend: the paper trains Qwen3-8B/14B/32B base models, on GPUs, with
# the torch backend (see the README's PyTorch backend section): name a local
# Hugging Face Qwen3 folder and the number of GPUs,
#   forkrl run --var model=/path/to/Qwen3-8B-Base --var gpus=8 recipes/dapo-math.hcl

variable "model" {
  type        = string
  default     = ""
  description = "a local Hugging Face Qwen3 folder (config.json, safetensors, tokenizer.json)"
}

variable "gpus" {
  type        = number
  default     = 1
  description = "data-parallel workers, one GPU each (NCCL)"
}

variable "rho" {
  type        = number
  default     = 0.2
  description = "fraction of the highest-entropy tokens trained on"
  validation {
    condition     = var.rho > 0 && var.rho <= 1
    error_message = "rho must be in (0, 1]."
  }
}

variable "arm" {
  type        = string
  default     = "top"
  description = "top: the paper's top-ρ tokens; all: the DAPO baseline on every token"
  validation {
    condition     = contains(["top", "all"], var.arm)
    error_message = "arm must be top or all."
  }
}

variable "objective" {
  type        = string
  default     = "code"
  description = "code: the paper's released code (selected-token mean per micro-batch); eq6: the paper's eq. 6 (all-token mean, mini-batch selection)"
  validation {
    condition     = contains(["code", "eq6"], var.objective)
    error_message = "objective must be code or eq6."
  }
}

variable "steps" {
  type    = number
  default = 1000
}

variable "n" {
  type        = number
  default     = 16
  description = "samples per evaluation problem: avg@n, and pass@k for k = 1 and n"
}

variable "template" {
  type        = string
  default     = "paper"
  description = "prompt template: \"paper\" (the paper's, for base models) or \"qwen-chat\" (Qwen's chat template), or template text"
}

locals {
  prompt = var.template # "paper": the problem in place of [question] in the paper's prompt
  max_len  = 20480
  overlong = 4096
}

backend "torch" "policy" {
  checkpoint = var.model
  device     = "cuda"
  dtype      = "bfloat16"
  world_size = var.gpus
}

verifier "math" "boxed" {
  extract = ["boxed"]
  rel_tol = 1e-4 # Qwen2.5-Math's evaluation tolerance
}

selector "top" "top" {
  rho   = var.rho
  scope = var.objective == "code" ? "micro" : "mini"
}

selector "all" "all" {}

dataset "dapo_math" {
  files           = ["../data/dapo-math-17k/train.jsonl"]
  id_field        = "id"
  prompt_template = local.prompt
  shuffle         = true
}

dataset "aime24" {
  files           = ["../data/aime24/test.jsonl"]
  id_field        = "id"
  prompt_template = local.prompt
  eval_count      = 30
}

dataset "aime25" {
  files           = ["../data/aime25/test.jsonl"]
  id_field        = "id"
  prompt_template = local.prompt
  eval_count      = 30
}

dataset "amc23" {
  files           = ["../data/amc23/test.jsonl"]
  id_field        = "id"
  prompt_template = local.prompt
  eval_count      = 40
}

dataset "math500" {
  files           = ["../data/math500/test.jsonl"]
  id_field        = "id"
  prompt_template = local.prompt
  eval_count      = 500
}

dataset "minerva_math" {
  files           = ["../data/minerva_math/test.jsonl"]
  id_field        = "id"
  prompt_template = local.prompt
  eval_count      = 272
}

dataset "olympiadbench" {
  files           = ["../data/olympiadbench/test.jsonl"]
  id_field        = "id"
  prompt_template = local.prompt
  eval_count      = 675
}

algorithm "dapo" {
  selector         = var.arm
  clip_low         = 0.2
  clip_high        = 0.28
  dynamic_sampling = true
  overlong         = true
  overlong_length  = local.max_len
  overlong_buffer  = local.overlong
  loss_agg         = "token-mean"
  loss_denominator = var.objective == "code" ? "selected" : "all"
}

train {
  dataset              = dataset.dapo_math
  steps                = var.steps
  prompts_per_step     = 512
  responses_per_prompt = 16
  mini_batch_size      = 512 # responses: 32 prompts × 16
  micro_batch_size     = 32  # a data-parallel rank's share of a mini-batch in the paper's runs (see above)
  learning_rate        = 1e-6
  temperature          = 1
  max_response_tokens  = local.max_len
}

eval {
  datasets            = [dataset.aime24, dataset.aime25, dataset.amc23, dataset.math500, dataset.minerva_math, dataset.olympiadbench]
  n                   = var.n
  k                   = [1, var.n]
  temperature         = 1
  max_response_tokens = local.max_len
  interval            = 50
}
