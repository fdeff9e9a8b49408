backend "validate-test" "policy" {}

verifier "countdown" "reward" {}

selector "top" "forks" {
  rho = 1.5
}

dataset "countdown" {
  generator "countdown" {}
  eval_count = 16
}

algorithm "dapo" {
  rho = 0.2
}

train {
  steps = 2
}
