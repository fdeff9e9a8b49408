"""PyTorch peer of tinylm's benchmarks: the same Qwen3-style model, sizes,
workloads and thread count, timed on the CPU.

Run beside the Go benchmarks with compare.py (see BENCHMARKS.md at the repository root), or alone:

    /usr/bin/python3 plugins/backend/tinylm/peer/bench.py --threads 1

Training: forward, backward and AdamW (with global-norm clipping) on 16
sequences of 32+96 tokens; the loss is sum(gl*logp + gh*H) over the 96
response tokens with fixed random coefficients, as the Go benchmark
back-propagates. Generation: 8 prompts of 32 tokens, 8 samples each, 96 new
tokens at temperature 1 with a KV cache, computing each token's log-prob and
entropy as tinylm's sampler does.
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F

SIZES = {
    "1M": dict(layers=4, width=128, heads=4, kv_heads=2, mlp=512),
    "10M": dict(layers=8, width=320, heads=8, kv_heads=4, mlp=960),
}
VOCAB = 28 + 3
CONTEXT = 128
TRAIN_SEQS, PROMPT, RESPONSE = 16, 32, 96
GEN_PROMPTS, GEN_SAMPLES = 8, 8


class RMSNorm(torch.nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Block(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        D, self.H, self.KV = c["width"], c["heads"], c["kv_heads"]
        self.hd = D // self.H
        self.input_layernorm = RMSNorm(D)
        self.q_proj = torch.nn.Linear(D, self.H * self.hd, bias=False)
        self.k_proj = torch.nn.Linear(D, self.KV * self.hd, bias=False)
        self.v_proj = torch.nn.Linear(D, self.KV * self.hd, bias=False)
        self.o_proj = torch.nn.Linear(self.H * self.hd, D, bias=False)
        self.q_norm, self.k_norm = RMSNorm(self.hd), RMSNorm(self.hd)
        self.post_attention_layernorm = RMSNorm(D)
        self.gate_proj = torch.nn.Linear(D, c["mlp"], bias=False)
        self.up_proj = torch.nn.Linear(D, c["mlp"], bias=False)
        self.down_proj = torch.nn.Linear(c["mlp"], D, bias=False)

    def forward(self, x, cos, sin, cache=None, start=0):
        B, T, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_norm(self.q_proj(h).view(B, T, self.H, self.hd)).transpose(1, 2)
        k = self.k_norm(self.k_proj(h).view(B, T, self.KV, self.hd)).transpose(1, 2)
        v = self.v_proj(h).view(B, T, self.KV, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:  # (k_cache, v_cache) preallocated [B, KV, ctx, hd]
            cache[0][:, :, start:start + T] = k
            cache[1][:, :, start:start + T] = v
            k, v = cache[0][:, :, :start + T], cache[1][:, :, :start + T]
        rep = self.H // self.KV
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)
        if T > 1:
            mask = torch.ones(T, k.shape[2], dtype=torch.bool).tril(k.shape[2] - T)
            att = att.masked_fill(~mask, float("-inf"))
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, self.H * self.hd)
        x = x + self.o_proj(y)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Model(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(VOCAB, c["width"])
        self.layers = torch.nn.ModuleList(Block(c) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["width"])
        hd = c["width"] // c["heads"]
        inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
        ang = torch.arange(CONTEXT).float()[:, None] * inv[None, :]
        ang = torch.cat((ang, ang), dim=-1)
        self.cos, self.sin = ang.cos(), ang.sin()
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)

    def forward(self, ids, caches=None, start=0):
        T = ids.shape[1]
        cos, sin = self.cos[start:start + T], self.sin[start:start + T]
        x = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, None if caches is None else caches[i], start)
        return self.norm(x) @ self.embed_tokens.weight.t()  # tied embeddings


def logp_entropy(logits, ids):
    lsm = logits.log_softmax(-1)
    return lsm.gather(-1, ids.unsqueeze(-1)).squeeze(-1), -(lsm.exp() * lsm).sum(-1)


def train_step(model, opt, seqs, gl, gh):
    logits = model(seqs[:, :-1])[:, PROMPT - 1:]
    logp, ent = logp_entropy(logits, seqs[:, PROMPT:])
    loss = (gl * logp + gh * ent).sum()
    opt.zero_grad(set_to_none=False)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


@torch.no_grad()
def generate(model, c, prompts):
    hd = c["width"] // c["heads"]
    B = GEN_PROMPTS * GEN_SAMPLES
    caches = [(torch.empty(GEN_PROMPTS, c["kv_heads"], CONTEXT, hd), torch.empty(GEN_PROMPTS, c["kv_heads"], CONTEXT, hd))
              for _ in range(c["layers"])]
    logits = model(prompts, caches, 0)[:, -1]  # each prompt once
    caches = [(k.repeat_interleave(GEN_SAMPLES, 0).contiguous(), v.repeat_interleave(GEN_SAMPLES, 0).contiguous()) for k, v in caches]
    logits = logits.repeat_interleave(GEN_SAMPLES, 0)
    out = []
    for t in range(RESPONSE):
        tok = torch.multinomial(logits.softmax(-1), 1)
        logp, ent = logp_entropy(logits, tok.squeeze(-1))
        out.append((tok, logp, ent))
        if t + 1 < RESPONSE:
            logits = model(tok, caches, PROMPT + t)[:, -1]
    return out


def timed(f, reps):
    """Median wall time and median process CPU time (all threads) of f."""
    f()  # warm-up
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        f()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name, c in SIZES.items():
        model = Model(c)
        params = sum(p.numel() for p in model.parameters())
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
        seqs = torch.randint(0, VOCAB, (TRAIN_SEQS, PROMPT + RESPONSE))
        gl, gh = torch.randn(TRAIN_SEQS, RESPONSE), torch.randn(TRAIN_SEQS, RESPONSE)
        n = TRAIN_SEQS * (PROMPT + RESPONSE)
        t, cpu = timed(lambda: train_step(model, opt, seqs, gl, gh), args.reps)
        print(f"peer train/{name} threads={args.threads} params={params} {n / t:.0f} tokens/s {n / cpu:.0f} tokens/cpu-s", flush=True)
        prompts = torch.randint(0, VOCAB, (GEN_PROMPTS, PROMPT))
        n = GEN_PROMPTS * GEN_SAMPLES * RESPONSE
        t, cpu = timed(lambda: generate(model, c, prompts), args.reps)
        print(f"peer generate/{name} threads={args.threads} {n / t:.0f} tokens/s {n / cpu:.0f} tokens/cpu-s", flush=True)


if __name__ == "__main__":
    main()
