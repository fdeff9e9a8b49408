variable "rho" {
  type    = number
  default = 0.2
}

backend "validate-test" "policy" {
  width = 64
}

verifier "countdown" "reward" {}

selector "top" "forks" {
  rho = var.rho
}

dataset "countdown" {
  generator "countdown" {}
  eval_count = 16
}

algorithm "dapo" {}

train {
  steps = 2
}

run "rho" {
  for_each = [0.1, 0.2]
  vars     = { rho = each.value }
}
