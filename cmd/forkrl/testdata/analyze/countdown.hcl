# forkrl analyze on the committed countdown base model: a few held-out
# problems of the quickstart's task, sampled in a second or two.
# countdown-before.json is what forkrl analyze reported on it before the
# verifier gave verdicts and roles (--problems 64 --k 4 --min-count 1).

variable "check_work" {
  type    = bool
  default = true
}

backend "tinylm" "policy" {
  layers     = 4
  width      = 128
  heads      = 4
  kv_heads   = 2
  mlp_width  = 384
  context    = 128
  alphabet   = "\n ()*+-/0123456789:=>anos"
  checkpoint = "../../../../checkpoints/base-countdown"
  isolation  = "inproc"
}

verifier "countdown" "reward" {
  check_work = var.check_work
  isolation  = "inproc"
}

dataset "countdown" {
  generator "countdown" {
    train = 64
    eval  = 64
    seed  = 1
    sizes = [3, 4]
  }
  eval_count = 64
}

algorithm "grpo" {}

train {
  steps               = 1
  prompts_per_step    = 2
  max_response_tokens = 118
}

eval {
  k = 2
}
