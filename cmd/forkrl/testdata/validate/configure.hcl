backend "validate-test" "policy" {
  width = 13
}

verifier "countdown" "reward" {}

dataset "countdown" {
  generator "countdown" {}
  eval_count = 16
}

algorithm "grpo" {}

train {
  steps = 2
}
