# A short DAPO run for the tests of forkrl bundle: the committed countdown
# base model on 48 problems read from a JSONL file, 3 steps, a few seconds
# on a CPU. The base checkpoint's path is relative to this recipe.

variable "checkpoint" {
  type    = string
  default = "../../../../checkpoints/base-countdown"
}

backend "tinylm" "policy" {
  layers     = 4
  width      = 128
  heads      = 4
  kv_heads   = 2
  mlp_width  = 384
  context    = 128
  alphabet   = "\n ()*+-/0123456789:=>anos"
  checkpoint = var.checkpoint
  isolation  = "inproc"
}

verifier "countdown" "reward" {
  isolation = "inproc"
}

selector "top" "forks" {
  rho       = 0.2
  isolation = "inproc"
}

dataset "countdown" {
  files      = ["problems.jsonl"]
  eval_count = 8
}

algorithm "dapo" {
  selector = "forks"
}

train {
  steps                = 3
  prompts_per_step     = 4
  responses_per_prompt = 8
  mini_batch_size      = 32
  learning_rate        = 2e-4
  max_response_tokens  = 60
  seed                 = 1
}

eval {
  k        = 2
  interval = 2
}
