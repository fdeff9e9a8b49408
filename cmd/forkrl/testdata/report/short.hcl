# A short DAPO run from the committed countdown base model, for the tests of
# forkrl report and export: 3 steps of 4 prompts × 4 responses on the top 20%
# of tokens, every group trained (no dynamic sampling), a few seconds on a CPU.

backend "tinylm" "policy" {
  layers     = 4
  width      = 128
  heads      = 4
  kv_heads   = 2
  mlp_width  = 384
  context    = 128
  alphabet   = "\n ()*+-/0123456789:=>anos"
  checkpoint = "../../../../checkpoints/base-countdown" # relative to this recipe
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
  generator "countdown" {
    train = 64
    eval  = 8
    sizes = [3]
  }
  eval_count = 8
}

algorithm "dapo" {
  selector         = "forks"
  dynamic_sampling = false
}

train {
  steps                = 3
  prompts_per_step     = 4
  responses_per_prompt = 4
  mini_batch_size      = 16
  learning_rate        = 2e-4
  max_response_tokens  = 80
  seed                 = 1
}

eval {
  k        = 2
  interval = 1
}
