backend "tinylm" "policy" {}
backend "tinylm" "critic" {}

verifier "countdown" "reward" {}

dataset "countdown" {
  generator "countdown" {}
  eval_count = 16
}

algorithm "ppo" {
  policy = backend.policy
  critic = backend.critic
  lambda = 0.95
}

train {
  steps            = 3
  prompts_per_step = 4
}
