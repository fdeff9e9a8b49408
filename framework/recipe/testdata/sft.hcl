backend "tinylm" "policy" {}

dataset "traces" {
  files = ["data/tiny.jsonl"]
}

algorithm "sft" {}

train {
  steps            = 3
  prompts_per_step = 2
  learning_rate    = 1e-3
}

eval {
  datasets = []
}
