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

variable "steps" {
  type    = number
  default = 1000
}

variable "k" {
  type        = number
  default     = 16
  description = "samples per evaluation problem (avg@k and pass@k)"
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
  scope = "mini"
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
}

train {
  dataset              = dataset.dapo_math
  steps                = var.steps
  prompts_per_step     = 512
  responses_per_prompt = 16
  mini_batch_size      = 512 # responses: 32 prompts × 16
  learning_rate        = 1e-6
  temperature          = 1
  max_response_tokens  = local.max_len
}

eval {
  datasets            = [dataset.aime24, dataset.aime25, dataset.amc23, dataset.math500, dataset.minerva_math, dataset.olympiadbench]
  k                   = var.k
  temperature         = 1
  max_response_tokens = local.max_len
  interval            = 50
}
