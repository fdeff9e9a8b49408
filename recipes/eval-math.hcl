# Evaluation on the paper's six benchmarks (AIME'24, AIME'25, AMC'23,
# MATH500, Minerva Math, OlympiadBench): n samples per problem at
# temperature 1, avg@n (the paper reports avg@32 on AIME: --var n=32) and the
# unbiased pass@1 and pass@n per set, scored by the built-in math verifier
# (last \boxed{} answer, equivalence to the reference).
#
# forkrl evaluates at the start of a run, before any update, and at its end.
# This recipe's numbers are those of the first evaluation (step 0): the
# checkpoint as given. The recipe language needs an algorithm and a train
# block, so it names a one-step DAPO run on DAPO-Math-17K whose update is not
# part of the measurement; forkrl has no evaluation-only command yet.
#
# The backend is torch, as in recipes/dapo-math.hcl: name a local Hugging
# Face Qwen3 folder (or a forkrl checkpoint) and the number of GPUs,
#   forkrl run --var model=/path/to/Qwen3-8B-Base --var gpus=8 recipes/eval-math.hcl

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

variable "n" {
  type        = number
  default     = 16
  description = "samples per problem: avg@n, and pass@k for k = 1 and n"
  validation {
    condition     = var.n >= 1
    error_message = "n must be at least 1."
  }
}

variable "max_tokens" {
  type    = number
  default = 20480
}

variable "template" {
  type        = string
  default     = "paper"
  description = "prompt template: \"paper\" (the paper's, for base models) or \"qwen-chat\" (Qwen's chat template), or template text"
}

locals {
  prompt = var.template
  sets = {
    aime24        = { file = "aime24/test.jsonl", count = 30 }
    aime25        = { file = "aime25/test.jsonl", count = 30 }
    amc23         = { file = "amc23/test.jsonl", count = 40 }
    math500       = { file = "math500/test.jsonl", count = 500 }
    minerva_math  = { file = "minerva_math/test.jsonl", count = 272 }
    olympiadbench = { file = "olympiadbench/test.jsonl", count = 675 }
  }
}

backend "torch" "policy" {
  checkpoint = var.model
  device     = "cuda"
  dtype      = "bfloat16"
  world_size = var.gpus
}

verifier "math" "boxed" {
  extract = ["boxed"]
  rel_tol = 1e-4
}

selector "all" "all" {}

dataset "dapo_math" {
  files           = ["../data/dapo-math-17k/train.jsonl"]
  id_field        = "id"
  prompt_template = local.prompt
}

dataset "aime24" {
  files           = ["../data/${local.sets.aime24.file}"]
  id_field        = "id"
  prompt_template = local.prompt
  eval_count      = local.sets.aime24.count
}

dataset "aime25" {
  files           = ["../data/${local.sets.aime25.file}"]
  id_field        = "id"
  prompt_template = local.prompt
  eval_count      = local.sets.aime25.count
}

dataset "amc23" {
  files           = ["../data/${local.sets.amc23.file}"]
  id_field        = "id"
  prompt_template = local.prompt
  eval_count      = local.sets.amc23.count
}

dataset "math500" {
  files           = ["../data/${local.sets.math500.file}"]
  id_field        = "id"
  prompt_template = local.prompt
  eval_count      = local.sets.math500.count
}

dataset "minerva_math" {
  files           = ["../data/${local.sets.minerva_math.file}"]
  id_field        = "id"
  prompt_template = local.prompt
  eval_count      = local.sets.minerva_math.count
}

dataset "olympiadbench" {
  files           = ["../data/${local.sets.olympiadbench.file}"]
  id_field        = "id"
  prompt_template = local.prompt
  eval_count      = local.sets.olympiadbench.count
}

algorithm "dapo" {}

train {
  dataset              = dataset.dapo_math
  steps                = 1
  prompts_per_step     = 1
  responses_per_prompt = 2
  max_response_tokens  = var.max_tokens
}

eval {
  datasets            = [dataset.aime24, dataset.aime25, dataset.amc23, dataset.math500, dataset.minerva_math, dataset.olympiadbench]
  n                   = var.n
  k                   = [1, var.n]
  temperature         = 1
  top_p               = 1
  max_response_tokens = var.max_tokens
}
