# GRPO on a JSONL dataset with a KL term to the initial policy.
backend "tinylm" "policy" {}

verifier "math" "grader" {}

dataset "tiny" {
  files           = ["data/tiny.jsonl"]
  problem_field   = "question"
  prompt_template = "Question: {{.question}}\nAnswer:"
  eval_fraction   = 0.34
  shuffle         = false
}

algorithm "grpo" {
  kl_coef = 0.01
  epochs  = 2
}

train {
  steps                = 5
  prompts_per_step     = 2
  responses_per_prompt = 4
  lr_schedule          = "cosine"
  min_lr_ratio         = 0.1
  warmup_steps         = 1
}

output {
  dir             = "out"
  rollout_samples = 0
}
