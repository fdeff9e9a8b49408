#!/usr/bin/env bash
# gpu-check.sh: the torch backend on a GPU machine. It writes a
# Qwen3-0.6B-shaped model with random weights (28 layers, width 1024, 16/8
# heads of 128, MLP 3072, vocabulary 151,936, tied embeddings; the countdown
# task's character tokenizer uses its first 28 ids), runs a few DAPO steps on
# countdown through the real forkrl host with the model in bfloat16 on CUDA,
# and prints generation and training tokens/s and the peak GPU memory.
#
#   plugins/backend/torch/gpu-check.sh [--steps N] [--world-size N] [--python PYTHON]
#   plugins/backend/torch/gpu-check.sh --cpu   # a tiny model on the CPU: checks the script's code paths
#
# Run it from the repository root. PYTHON (default: FORKRL_PYTHON, else
# /usr/bin/python3, else python3) must import torch with CUDA, grpc, protobuf
# and numpy.
set -euo pipefail
cd "$(dirname "$0")/../../.."

steps=3 world=1 device=cuda dtype=bfloat16 shape=0.6b
python="${FORKRL_PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )}"
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --world-size) world="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --cpu) device=cpu dtype=float32 shape=tiny; shift ;;
    *) echo "usage: $0 [--steps N] [--world-size N] [--python PYTHON] [--cpu]" >&2; exit 2 ;;
  esac
done

if [ "$device" = cuda ] && ! "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "gpu-check: $python sees no CUDA device (torch.cuda.is_available() is false); nothing measured" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "gpu-check: writing a $shape Qwen3-shaped model with random weights into $work/model"
"$python" - "$work/model" "$shape" <<'PY'
import json, os, sys
sys.path.insert(0, "plugins/backend/torch/python")
import numpy as np
from forkrl_torch.checkpoint import write_safetensors
from forkrl_torch.qwen3 import Config
out, shape = sys.argv[1], sys.argv[2]
alphabet = "\n ()*+-/0123456789:=>anos"
n = len(alphabet)
if shape == "0.6b":
    dims = dict(vocab_size=151936, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
                num_attention_heads=16, num_key_value_heads=8, head_dim=128)
else:
    dims = dict(vocab_size=n + 3, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, head_dim=16)
config = dict(architectures=["Qwen3ForCausalLM"], model_type="qwen3", max_position_embeddings=256,
              rms_norm_eps=1e-6, rope_theta=1000000, tie_word_embeddings=True, hidden_act="silu",
              bos_token_id=n, eos_token_id=n + 1, pad_token_id=n + 2, torch_dtype="float32",
              tinylm=dict(tokenizer="chars", alphabet=alphabet, value_head=False), **dims)
os.makedirs(out)
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
rng = np.random.default_rng(1)
tensors = [(name, shape, (lambda s=shape: np.ones(s, np.float32)) if len(shape) == 1 else
            (lambda s=shape: rng.standard_normal(s, dtype=np.float32) * 0.02))
           for name, shape, _ in Config(config).tensors()]
write_safetensors(os.path.join(out, "model.safetensors"), tensors)
PY

cat > "$work/gpu-check.hcl" <<HCL
backend "torch" "policy" {
  checkpoint = "$work/model"
  device     = "$device"
  dtype      = "$dtype"
  world_size = $world
  python     = "$python"
  threads    = 0
  context    = 256
}

verifier "countdown" "reward" {}

selector "top" "forks" {
  rho = 0.2
}

dataset "countdown" {
  generator "countdown" {
    train = 2000
    eval  = 16
    sizes = [3, 4]
  }
  eval_count = 16
}

# Random weights earn no reward: keep every group, so that each step trains.
algorithm "dapo" {
  selector         = "forks"
  epochs           = 1
  dynamic_sampling = false
}

train {
  steps                = $steps
  prompts_per_step     = 16
  responses_per_prompt = 8
  mini_batch_size      = 128
  micro_batch_size     = 32
  learning_rate        = 1e-6
  max_response_tokens  = 128
  seed                 = 1
}

eval {
  k        = 1
  problems = 16
}
HCL

echo "gpu-check: $steps DAPO steps, device $device, dtype $dtype, world_size $world"
FORKRL_PYTHON="$python" FORKRL_TORCH_STATS=1 go run ./cmd/forkrl run --out "$work/runs" "$work/gpu-check.hcl" 2>&1 | tee "$work/log"
"$python" - "$work/runs/gpu-check/metrics.jsonl" "$work/log" <<'PY'
import json, re, statistics, sys
metrics = [json.loads(l) for l in open(sys.argv[1])]
log = open(sys.argv[2]).read()
gen = [float(x) for x in re.findall(r"generated \d+ tokens in [\d.]+ s \((\d+) tok/s\)", log)]
peak = [float(x) for x in re.findall(r"peak GPU memory ([\d.]+) GiB", log)]
train = [m["perf/throughput"] for m in metrics if "perf/throughput" in m]
print(f"generation: median {statistics.median(gen):.0f} tok/s per rank over {len(gen)} Generate calls" if gen else "generation: no figures")
print(f"training:   median {statistics.median(train):.0f} response tok/s over {len(train)} steps (perf/throughput)" if train else "training: no figures")
print(f"peak GPU memory: {max(peak):.2f} GiB" if peak else "peak GPU memory: none (not on CUDA)")
PY
