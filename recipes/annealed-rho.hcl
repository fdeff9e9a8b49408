# DAPO on the highest-entropy tokens with a ρ that anneals from 0.5 to 0.2
# over the first 100 steps (a schedule hook in Starlark), from the committed
# countdown base model. Compare with recipes/quickstart.hcl (ρ = 0.2 throughout).

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

selector "top" "forks" {
  rho   = 0.5 # the schedule hook sets ρ for every step
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

hooks {
  file = "../examples/hooks/anneal_rho.star"
}
