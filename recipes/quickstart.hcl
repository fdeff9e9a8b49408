# forkrl's quickstart: DAPO on the top-20% highest-entropy tokens of each
# mini-batch (128 responses, two per step), from the committed countdown base
# model (recipes/base-countdown.hcl), on a laptop's CPU in about ten minutes.
# Held-out accuracy (512 problems, 2 samples each at T = 1) is measured at
# the start, every 10 steps and at the end.

variable "seed" {
  type    = number
  default = 1
}

variable "rho" {
  type        = number
  default     = 0.2
  description = "fraction of each mini-batch's response tokens trained on, highest entropy first"
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

# A right answer earns the reward only after sound work: every step's numbers
# at hand, its arithmetic right, the last attempt ending at the target. With
# the answer line alone rewarded, RL learns to guess the answer and lets the
# work decay, so the forks in the work stop mattering (see the README).
verifier "countdown" "reward" {
  check_work = true
}

selector "top" "forks" {
  rho   = var.rho
  scope = "mini"
}

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
  selector = "forks"
  epochs   = 2 # update passes per batch: makes the clipping matter
}

train {
  steps                = 100
  prompts_per_step     = 32
  responses_per_prompt = 8
  mini_batch_size      = 128
  learning_rate        = 2e-4 # 5e-4 collapsed the policy in the prototype; 1e-4 was slow
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
