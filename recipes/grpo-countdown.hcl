# GRPO on the countdown task from the committed base model: the group-
# normalised advantage, the symmetric clip (0.2), a k3 KL penalty to a frozen
# copy of the base model in the loss, the per-response token mean, no dynamic
# sampling and no overlong shaping. The baseline that DAPO's changes are
# measured against; otherwise as recipes/quickstart.hcl, on all tokens.

variable "seed" {
  type    = number
  default = 1
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

verifier "countdown" "reward" {}

dataset "countdown" {
  generator "countdown" {
    train = 20000
    eval  = 512
    seed  = 1
    sizes = [3, 4]
  }
  eval_count = 512 # the generator holds its eval problems out of the train split
}

algorithm "grpo" {
  kl_coef = 0.001
  epochs  = 2
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
  interval    = 10
}
