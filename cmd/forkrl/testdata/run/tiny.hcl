# A tiny DAPO run for the tests of forkrl run and sweep: a 2-layer tinylm from
# random weights on 3-number countdown problems, a few seconds on a CPU.

variable "seed" {
  type    = number
  default = 1
}

variable "max_tokens" {
  type    = number
  default = 24
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

selector "top" "forks" {
  rho       = 0.2
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
  selector = "forks"
  # The random model earns no reward, so dynamic sampling would drop every
  # group and the step would train nothing (which fails a run).
  dynamic_sampling = false
}

train {
  steps                = 2
  prompts_per_step     = 2
  responses_per_prompt = 4
  mini_batch_size      = 8
  micro_batch_size     = 4
  learning_rate        = 2e-4
  max_response_tokens  = var.max_tokens
  seed                 = var.seed
  checkpoint_interval  = 1
}

eval {
  k        = 2
  interval = 1
}

run "seed" {
  for_each = [1, 2]
  name     = "tiny-seed${each.value}"
  vars     = { seed = each.value }
}
