# The quickstart (recipes/quickstart.hcl) on the PyTorch backend: the same
# DAPO run on the top-20% highest-entropy tokens, from the same committed
# countdown base model, with the model in PyTorch worker processes instead of
# tinylm. Needs Python with torch, grpcio, protobuf and numpy (on Debian:
# apt-get install python3-torch python3-grpcio python3-protobuf python3-numpy).
# --var world_size=2 trains data-parallel over two gloo workers.

variable "seed" {
  type    = number
  default = 1
}

variable "rho" {
  type        = number
  default     = 0.2
  description = "fraction of the step's response tokens trained on, highest entropy first"
}

variable "world_size" {
  type        = number
  default     = 1
  description = "data-parallel torch workers"
}

# The model's shape and alphabet come from the checkpoint's config.json.
backend "torch" "policy" {
  checkpoint = "../checkpoints/base-countdown"
  device     = "cpu"
  world_size = var.world_size
}

# A right answer earns the reward only after sound work: every step's numbers
# at hand, its arithmetic right, the last attempt ending at the target. With
# the answer line alone rewarded, RL learns to guess the answer and lets the
# work decay, so the forks in the work stop mattering (see the README).
verifier "countdown" "reward" {
  check_work = true
}

selector "top" "forks" {
  rho   = var.rho
  scope = "mini"
}

dataset "countdown" {
  generator "countdown" {
    train = 20000
    eval  = 512
    seed  = 1
    sizes = [3, 4]
  }
  eval_count = 512 # the generator holds its eval problems out of the train split
}

algorithm "dapo" {
  selector = "forks"
  epochs   = 2 # update passes per batch: makes the clipping matter
}

train {
  steps                = 100
  prompts_per_step     = 32
  responses_per_prompt = 8
  mini_batch_size      = 128
  learning_rate        = 2e-4 # 5e-4 collapsed the policy in the prototype; 1e-4 was slow
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
