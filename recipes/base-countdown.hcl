# The base model of the countdown task: tinylm pretrained (SFT) on reasoning
# traces of a noisy search policy (plugins/verifier/countdown). The traces
# reach the target in about 40% of cases (half of the 3-number problems, a
# quarter of the 4-number ones); choices of numbers and operators, and after
# each miss the choice to go on or give up (a random patience of 1-4
# attempts), are the uncertain characters, while step results, verdicts and
# the final equation follow from them. The run's final checkpoint is the
# committed base model that recipes/quickstart.hcl starts from.

variable "seed" {
  type    = number
  default = 1
}

variable "steps" {
  type        = number
  default     = 1800
  description = "SFT steps of prompts_per_step traces each"
}

backend "tinylm" "policy" {
  # about 0.8M parameters: 4 layers, width 128, 4 query / 2 KV heads
  layers    = 4
  width     = 128
  heads     = 4
  kv_heads  = 2
  mlp_width = 384
  context   = 128
  # countdown.Alphabet: every character of the task's prompts and traces
  alphabet = "\n ()*+-/0123456789:=>anos"
}

verifier "countdown" "reward" {}

dataset "countdown" {
  generator "countdown" {
    traces = true  # train records are traces; eval records are bare problems
    train  = 100000
    eval   = 512
    seed   = 1     # the data does not change with the run seed
    sizes  = [3, 4]
  }
  eval_count = 512 # the generator holds its eval problems out of the train split
}

algorithm "sft" {}

train {
  steps               = var.steps
  prompts_per_step    = 64
  learning_rate       = 1.5e-3
  lr_schedule         = "cosine"
  warmup_steps        = 100
  min_lr_ratio        = 0.05
  weight_decay        = 0.01
  checkpoint_interval = 300
  max_response_tokens = 118 # the longest completion after the shortest prompt, with <eos>
  seed                = var.seed
}

# Accuracy on 512 held-out problems, 2 samples each at T = 1.
eval {
  k                   = 2
  problems            = 512
  temperature         = 1
  interval            = 300
  max_response_tokens = 118
}
