# The paper's ablation at toy scale: DAPO trained on the top-ρ or bottom-ρ
# entropy tokens, and on all tokens, over three seeds.
variable "rho" {
  type        = number
  default     = 0.2
  description = "fraction of tokens trained on"
  validation {
    condition     = var.rho > 0 && var.rho <= 1
    error_message = "rho must be in (0, 1]."
  }
}

variable "arm" {
  type    = string
  default = "top"
  validation {
    condition     = contains(["top", "bottom", "all"], var.arm)
    error_message = "arm must be top, bottom or all."
  }
}

variable "seed" {
  type    = number
  default = 1
}

locals {
  seeds      = [1, 2, 3]
  steps      = local.base_steps * 2
  base_steps = 50
}

backend "tinylm" "policy" {
  checkpoint = "base"
}

verifier "countdown" "reward" {}

selector "top" "top" {
  rho   = var.rho
  scope = "micro"
}

selector "bottom" "bottom" {
  rho = var.rho
}

selector "all" "all" {}

dataset "countdown" {
  generator "countdown" {
    count = 1000
    sizes = [3, 4]
  }
  prompt_template = "Use {{.numbers}} to make {{.target}}."
  eval_count      = 64
}

algorithm "dapo" {
  selector = var.arm
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

hooks {
  file = "hooks.star"
}

run "rho" {
  for_each = setproduct(["top", "bottom"], [0.2, 0.8], local.seeds)
  vars = {
    arm  = each.value[0]
    rho  = each.value[1]
    seed = each.value[2]
  }
}

run "all" {
  for_each = { s1 = 1, s2 = 2 }
  name     = "all-seed${each.value}"
  vars     = { arm = "all", seed = each.value }
}
