# PPO on the countdown task from the committed base model: GAE (γ = 1,
# λ = 0.95) with a separate critic — a tinylm with a value head, trained from
# scratch alongside the policy (the base checkpoint has no value head) —
# whitened advantages, the clipped value loss, and no KL term. Otherwise as
# recipes/quickstart.hcl, on all tokens.

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

backend "tinylm" "critic" {
  layers     = 2
  width      = 64
  heads      = 2
  kv_heads   = 1
  mlp_width  = 192
  context    = 128
  alphabet   = "\n ()*+-/0123456789:=>anos"
  value_head = true
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

algorithm "ppo" {
  policy              = backend.policy
  critic              = backend.critic
  gamma               = 1
  lambda              = 0.95
  value_clip          = 0.5
  critic_warmup_steps = 5 # the critic learns the values first
  epochs              = 2
}

train {
  steps                = 100
  prompts_per_step     = 32
  responses_per_prompt = 4
  mini_batch_size      = 64
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
