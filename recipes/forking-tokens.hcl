# The paper's ablation at toy scale (Wang et al. 2025, Fig. 5 and 7): DAPO
# from the countdown base model on all tokens, on the top-ρ highest-entropy
# tokens for ρ in {10%, 20%, 50%, 100%}, and on the bottom 80%, three seeds
# each. Top-ρ with ρ = 100% keeps every token, so it is the all-tokens arm and
# is not trained twice. `forkrl sweep recipes/forking-tokens.hcl` runs the
# matrix and prints the final table with mean ± standard deviation across
# seeds, and the arms the sweep block names compared paired by seed.

variable "arm" {
  type    = string
  default = "top"
  validation {
    condition     = contains(["top", "bottom", "all"], var.arm)
    error_message = "arm must be top, bottom or all."
  }
}

variable "rho" {
  type    = number
  default = 0.2
  validation {
    condition     = var.rho > 0 && var.rho <= 1
    error_message = "rho must be in (0, 1]."
  }
}

variable "seed" {
  type    = number
  default = 1
}

variable "check_work" {
  type        = bool
  default     = true
  description = "reward a right answer only after sound work; false rewards the answer line alone, which RL learns to guess while its work decays"
}

locals {
  seeds = [1, 2, 3]
}

backend "tinylm" "policy" {
  layers     = 4
  width      = 128
  heads      = 4
  kv_heads   = 2
  mlp_width  = 384
  context    = 128
  alphabet   = "\n ()*+-/0123456789:=>anos"
  checkpoint = "../checkpoints/base-countdown"
}

verifier "countdown" "reward" {
  check_work = var.check_work
}

selector "top" "top" {
  rho   = var.rho
  scope = "mini"
}

selector "bottom" "bottom" {
  rho   = var.rho
  scope = "mini"
}

selector "all" "all" {}

dataset "countdown" {
  generator "countdown" {
    train = 20000
    eval  = 512
    seed  = 1
    sizes = [3, 4]
  }
  eval_count = 512 # the generator holds its eval problems out of the train split
}

algorithm "dapo" {
  selector = var.arm
  epochs   = 2
}

train {
  steps                = 100
  prompts_per_step     = 32
  responses_per_prompt = 8
  mini_batch_size      = 128
  learning_rate        = 2e-4
  temperature          = 1
  max_response_tokens  = 118
  seed                 = var.seed
}

eval {
  k           = 2
  problems    = 512
  temperature = 1
  interval    = 20
}

sweep {
  compare = [
    ["top10", "all"], ["top20", "all"], ["top50", "all"],
    ["top20", "bottom80"], ["top10", "bottom80"], ["top50", "bottom80"],
  ]
}

run "top" {
  for_each = setproduct([0.1, 0.2, 0.5], local.seeds)
  name     = "top${each.value[0] * 100}-seed${each.value[1]}"
  vars     = { arm = "top", rho = each.value[0], seed = each.value[1] }
}

run "bottom" {
  for_each = local.seeds
  name     = "bottom80-seed${each.value}"
  vars     = { arm = "bottom", rho = 0.8, seed = each.value }
}

run "all" {
  for_each = local.seeds
  name     = "all-seed${each.value}"
  vars     = { arm = "all", seed = each.value }
}
