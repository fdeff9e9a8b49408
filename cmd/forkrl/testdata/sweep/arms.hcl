# Two arms (top-20% of tokens, all tokens) × two seeds of a tiny DAPO run for
# the tests of forkrl sweep: a 2-layer tinylm from random weights on
# 3-number countdown problems, a checkpoint after every step.

variable "arm" {
  type    = string
  default = "top"
}

variable "seed" {
  type    = number
  default = 1
}

variable "steps" {
  type    = number
  default = 40
}

backend "tinylm" "policy" {
  layers    = 2
  width     = 32
  heads     = 2
  kv_heads  = 1
  mlp_width = 64
  context   = 128
  alphabet  = "\n ()*+-/0123456789:=>anos"
  isolation = "inproc"
}

verifier "countdown" "reward" {
  isolation = "inproc"
}

selector "top" "top" {
  rho       = 0.2
  isolation = "inproc"
}

selector "all" "all" {
  isolation = "inproc"
}

dataset "countdown" {
  generator "countdown" {
    train = 64
    eval  = 8
    sizes = [3]
  }
  eval_count = 8
}

algorithm "dapo" {
  selector = var.arm
  # The random model earns no reward, so dynamic sampling would drop every
  # group and the step would train nothing (which fails a run).
  dynamic_sampling = false
}

train {
  steps                = var.steps
  prompts_per_step     = 2
  responses_per_prompt = 4
  mini_batch_size      = 8
  micro_batch_size     = 4
  learning_rate        = 2e-4
  max_response_tokens  = 24
  seed                 = var.seed
  checkpoint_interval  = 1
}

eval {
  k = 2
}

sweep {
  compare = [["top20", "all"]]
}

run "top" {
  for_each = [1, 2]
  name     = "top20-seed${each.value}"
  vars     = { arm = "top", seed = each.value }
}

run "all" {
  for_each = [1, 2]
  name     = "all-seed${each.value}"
  vars     = { arm = "all", seed = each.value }
}
