backend "validate-test" "policy" {}

verifier "countdown" "reward" {}

dataset "countdown" {
  generator "countdown" {}
  eval_count = 16
}

algorithm "grpo" {}

train {
  steps = 2
}

hooks {
  file = "bad.star"
}
