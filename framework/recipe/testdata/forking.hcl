# The paper's ablation at toy scale: DAPO with top-ρ, bottom-ρ and all tokens.
variable "rho" {
  type        = number
  default     = 0.2
  description = "fraction of tokens trained on"
  validation {
    condition     = var.rho > 0 && var.rho <= 1
    error_message = "rho must be in (0, 1]."
  }
}

variable "mode" {
  type    = string
  default = "top"
}

variable "seed" {
  type    = number
  default = 1
}

locals {
  seeds = [1, 2, 3]
  steps = local.base_steps * 2
  base_steps = 50
}

backend "tinylm" "policy" {
  checkpoint = "base"
}

verifier "countdown" "reward" {}

selector "entropy" "forks" {
  mode = var.mode
  rho  = var.rho
}

dataset "countdown" {
  generator "countdown" {
    count = 1000
  }
  prompt_template = "Use {{.numbers}} to make {{.target}}."
  eval_count      = 64
}

algorithm "dapo" {
  select_scope = "step"
}

train {
  steps                = local.steps
  prompts_per_step     = 8
  responses_per_prompt = 4
  mini_batch_size      = 16
  micro_batch_size     = 8
  learning_rate        = 2e-4
  max_response_tokens  = 100
  seed                 = var.seed
}

eval {
  k        = 2
  interval = 10
}

run "arm" {
  for_each = setproduct(["top", "bottom"], [0.2, 0.8], local.seeds)
  vars = {
    mode = each.value[0]
    rho  = each.value[1]
    seed = each.value[2]
  }
}

run "all" {
  vars = { rho = 1 }
}
