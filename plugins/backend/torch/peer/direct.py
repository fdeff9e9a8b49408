"""The torch backend's training work run directly in PyTorch, without forkrl:
the speed reference of bench_test.go's BenchmarkTrain.

It loads the same checkpoint folder into the same Qwen3 module
(forkrl_torch/qwen3.py), draws the same kind of batch (16 sequences of 32
prompt + 96 response tokens) and times forward, backward of
sum(g_logp*logp + g_H*H) over the response tokens, global-norm clipping and
torch.optim.AdamW, on --threads threads. It prints the median tokens
(response tokens) per second over --reps steps after one warm-up step.

    /usr/bin/python3 plugins/backend/torch/peer/direct.py --checkpoint checkpoints/base-countdown --threads 1
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from forkrl_torch import checkpoint as ckpt  # noqa: E402
from forkrl_torch.qwen3 import Config, Qwen3, token_stats  # noqa: E402

SEQS, PROMPT, RESPONSE = 16, 32, 96


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = Config(ckpt.read_config(a.checkpoint))
    model = Qwen3(cfg)
    folder = ckpt.Folder(a.checkpoint)
    with torch.no_grad():
        for name, p in model.named():
            p.copy_(torch.from_numpy(folder.read(name, p.shape)))
    decay = {n: d for n, _, d in cfg.tensors()}
    params = model.named()
    opt = torch.optim.AdamW([{"params": [p for n, p in params if decay[n]], "weight_decay": 0.1},
                             {"params": [p for n, p in params if not decay[n]], "weight_decay": 0.0}], lr=1e-4)
    rng = np.random.default_rng(1)
    V, T = cfg.vocab - 3, PROMPT + RESPONSE - 1
    tokens = torch.from_numpy(rng.integers(0, V, (SEQS, PROMPT + RESPONSE)))
    inputs, targets = tokens[:, :T], tokens[:, PROMPT:].reshape(-1)
    pos = torch.arange(T).expand(SEQS, T)
    index = (torch.arange(SEQS)[:, None] * T + torch.arange(PROMPT - 1, T)[None]).reshape(-1)
    gl = torch.from_numpy(rng.standard_normal(SEQS * RESPONSE).astype(np.float32))
    gh = torch.from_numpy(rng.standard_normal(SEQS * RESPONSE).astype(np.float32))

    def step():
        h = model.causal(inputs, pos).reshape(SEQS * T, -1)[index]
        logp, ent = token_stats(h, model.head(), targets, 1.0)
        torch.autograd.backward([logp, ent], [gl, gh])
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
    step()
    rates = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        step()
        rates.append(SEQS * RESPONSE / (time.perf_counter() - t0))
    print(f"{statistics.median(rates):.1f}")


if __name__ == "__main__":
    main()
