# Two arms of a tiny run for the tests of forkrl sweep: "ok" trains, "broken"
# fails at its first step (its on_step hook calls fail).

variable "hooks" {
  type    = string
  default = "ok.star"
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

dataset "countdown" {
  generator "countdown" {
    train = 64
    eval  = 8
    sizes = [3]
  }
  eval_count = 8
}

algorithm "dapo" {
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
  max_response_tokens  = 24
}

eval {
  k = 2
}

hooks {
  file = var.hooks
}

run "ok" {
  vars = { hooks = "ok.star" }
}

run "broken" {
  vars = { hooks = "fail.star" }
}
