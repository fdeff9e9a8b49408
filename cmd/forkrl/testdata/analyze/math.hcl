# forkrl analyze on a task other than countdown: sums graded by the math
# verifier, sampled from a tiny random tinylm.

backend "tinylm" "policy" {
  layers    = 1
  width     = 16
  heads     = 2
  kv_heads  = 1
  mlp_width = 32
  context   = 64
  alphabet  = "\n +-?0123456789"
  isolation = "inproc"
}

verifier "math" "grader" {
  extract   = ["boxed", "last_number"]
  isolation = "inproc"
}

dataset "sums" {
  files           = ["sums.jsonl"]
  problem_field   = "question"
  prompt_template = "{{.question}}\n"
  eval_fraction   = 0.5
  shuffle         = false
}

algorithm "grpo" {}

train {
  steps               = 1
  prompts_per_step    = 2
  max_response_tokens = 12
}
