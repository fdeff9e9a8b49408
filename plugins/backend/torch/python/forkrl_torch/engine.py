"""The model side of one rank: loading, scoring with and without the
autograd graph, backward from the host's per-token coefficients, AdamW,
generation with a KV cache, checkpoints. Inputs arrive checked by server.py.
"""

import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch

from forkrl_torch import checkpoint as ckpt
from forkrl_torch.qwen3 import Config, Qwen3, token_stats
from forkrl_torch.sampling import sample_token, stream

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "generation_config.json")


STATS = os.environ.get("FORKRL_TORCH_STATS") == "1"  # gpu-check.sh: speed and memory lines on stderr


def _stat(rank, device, what):
    peak = f", peak GPU memory {torch.cuda.max_memory_allocated(device) / 2**30:.2f} GiB" if device.type == "cuda" else ""
    print(f"stats rank {rank}: {what}{peak}", file=sys.stderr, flush=True)


class Engine:
    def __init__(self, rank, world, device):
        self.rank, self.world = rank, world
        self.device = torch.device(f"cuda:{rank % max(1, torch.cuda.device_count())}" if device == "cuda" else "cpu")
        self.model, self.handles, self.next = None, {}, 0

    # Set-up and checkpoints.

    def configure(self, s):
        """Builds the model from the checkpoint folder s["checkpoint"]; returns its parameter count."""
        if s["threads"] > 0:
            torch.set_num_threads(int(s["threads"]))
        config = ckpt.read_config(s["checkpoint"])
        cfg = Config(config, s["context"])
        dtype = torch.bfloat16 if s["dtype"] == "bfloat16" else torch.float32
        old = self.__dict__.copy()
        try:
            self.model, self.cfg, self.config, self.dtype, self.settings = Qwen3(cfg, dtype, self.device), cfg, config, dtype, s
            self.decay = {name: d for name, _, d in cfg.tensors()}
            self.load(s["checkpoint"])
            if s["implementation"] == "transformers":
                from forkrl_torch.hf import wrap
                self.model = wrap(self.model, config)
        except Exception:
            self.__dict__.update(old)  # the model configured before stays
            raise
        return sum(p.numel() for _, p in self.model.named())

    def load(self, dir):
        """Loads weights (and the optimizer state when the folder has one).
        Every tensor's name, shape and dtype is checked before anything
        changes, so a checkpoint that does not fit leaves the model as it was;
        weights are then read one at a time, so that a large model is never
        held twice in memory."""
        folder = ckpt.Folder(dir)
        for name, p in self.model.named():
            folder.check(name, p.shape)
        moments, step = None, 0
        opt_path = os.path.join(dir, ckpt.OPTIMIZER)
        if os.path.exists(opt_path):
            st = ckpt.SafeTensors(opt_path)
            moments = {name: (st.read("exp_avg." + name, p.shape), st.read("exp_avg_sq." + name, p.shape)) for name, p in self.model.named()}
            try:
                step = int(st.metadata["step"])
            except (KeyError, ValueError):
                raise ckpt.CheckpointError(f"{opt_path}: bad step {st.metadata.get('step')!r} in the metadata")
        with torch.no_grad():
            for name, p in self.model.named():
                p.copy_(torch.from_numpy(folder.read(name, p.shape)))
                p.grad = None
        self.moments = None if moments is None else {
            name: tuple(torch.from_numpy(m).to(self.device) for m in pair) for name, pair in moments.items()}
        self.step_count = step
        self.handles.clear()

    def save(self, dir):
        """Rank 0 writes the checkpoint; the others hold the same weights."""
        if self.rank != 0:
            return
        os.makedirs(dir, exist_ok=True)
        cfg = dict(self.config, torch_dtype="float32")
        body = (json.dumps(cfg, indent=2) + "\n").encode()
        ckpt.write_atomic(os.path.join(dir, ckpt.CONFIG), lambda f: f.write(body))
        src = self.settings["checkpoint"]
        for name in TOKENIZER_FILES:
            if os.path.exists(os.path.join(src, name)) and os.path.abspath(src) != os.path.abspath(dir):
                ckpt.write_atomic(os.path.join(dir, name), lambda f, n=name: shutil.copyfileobj(open(os.path.join(src, n), "rb"), f))
        named = [(n, tuple(p.shape), lambda p=p: p.detach().float().cpu().numpy()) for n, p in self.model.named()]
        ckpt.write_safetensors(os.path.join(dir, ckpt.WEIGHTS), named, {"format": "pt"})
        opt = os.path.join(dir, ckpt.OPTIMIZER)
        if self.moments is None:
            if os.path.exists(opt):
                os.unlink(opt)
            return
        moments = []
        for n, _ in self.model.named():
            m1, m2 = self.moments[n]
            moments += [("exp_avg." + n, tuple(m1.shape), lambda m=m1: m.cpu().numpy()),
                        ("exp_avg_sq." + n, tuple(m2.shape), lambda m=m2: m.cpu().numpy())]
        ckpt.write_safetensors(opt, moments, {"step": str(self.step_count)})

    # Scoring and training.

    def _stats(self, seqs, temperature):
        """Per-token log-probs and entropies of the response tokens of seqs
        ((prompt, response) int32 arrays), as flat tensors with their row lengths."""
        rows = [(p, r) for p, r in seqs if len(r) > 0]
        lengths = [len(r) for _, r in seqs]
        if not rows:
            z = torch.zeros(0, device=self.device)
            return z, z, lengths
        T = max(len(p) + len(r) - 1 for p, r in rows)
        tokens = np.zeros((len(rows), T), np.int64)
        index, targets = [], []
        for i, (p, r) in enumerate(rows):
            seq = np.concatenate([p, r[:-1]])
            tokens[i, :len(seq)] = seq
            index.append(i * T + np.arange(len(p) - 1, len(seq)))
            targets.append(r)
        tok = torch.from_numpy(tokens).to(self.device)
        pos = torch.arange(T, device=self.device).expand(len(rows), T)
        h = self.model.causal(tok, pos).reshape(len(rows) * T, -1)
        h = h[torch.from_numpy(np.concatenate(index)).to(self.device)]
        tgt = torch.from_numpy(np.concatenate(targets).astype(np.int64)).to(self.device)
        logp, ent = token_stats(h, self.model.head(), tgt, temperature)
        return logp, ent, lengths

    def score(self, seqs, temperature):
        with torch.no_grad():
            logp, ent, lengths = self._stats(seqs, temperature)
        return _split(logp, lengths), _split(ent, lengths)

    def forward(self, seqs, temperature):
        """Score keeping the graph; returns (handle, log-probs, entropies)."""
        logp, ent, lengths = self._stats(seqs, temperature)
        self.next += 1
        self.handles[self.next] = (logp, ent)
        return self.next, _split(logp.detach(), lengths), _split(ent.detach(), lengths)

    def backward(self, handle, grad_logp, grad_ent):
        """Accumulates the gradients of Σ g_logp·logp + g_H·H; the handle is released."""
        logp, ent = self.handles.pop(handle)
        outs, grads = [], []
        for out, g in ((logp, grad_logp), (ent, grad_ent)):
            if g is not None and len(g):
                outs.append(out)
                grads.append(torch.from_numpy(np.concatenate(g).astype(np.float32)).to(self.device))
        if outs and outs[0].requires_grad:
            torch.autograd.backward(outs, grads)

    def step(self, lr, beta1, beta2, eps, weight_decay, max_grad_norm):
        """All-reduces the gradients over the ranks, clips them to a global
        norm and takes one AdamW step (decay on weight matrices only), then
        clears them. Returns (norm before clipping, error or None)."""
        named = self.model.named()
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for _, p in named]
        if self.world > 1:
            import torch.distributed as dist
            flat = torch.cat([g.float().reshape(-1) for g in grads])
            dist.all_reduce(flat)
            grads, off = [], 0
            for _, p in named:
                grads.append(flat[off:off + p.numel()].view_as(p))
                off += p.numel()
        norm = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads))
        for _, p in named:
            p.grad = None
        if not math.isfinite(norm):
            return norm, f"the gradient norm is {norm}; the step was skipped and the gradients cleared"
        clip = max_grad_norm / (norm + 1e-6) if max_grad_norm > 0 and norm > max_grad_norm else 1.0
        if self.moments is None:
            self.moments = {n: (torch.zeros(p.shape, device=self.device), torch.zeros(p.shape, device=self.device)) for n, p in named}
        self.step_count += 1
        bc1, bc2 = 1 - beta1 ** self.step_count, 1 - beta2 ** self.step_count
        with torch.no_grad():
            for (n, p), g in zip(named, grads):
                m1, m2 = self.moments[n]
                g = g.float() * clip
                m1.mul_(beta1).add_(g, alpha=1 - beta1)
                m2.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                w = p.float()
                if self.decay[n]:
                    w.mul_(1 - lr * weight_decay)
                w.addcdiv_(m1, (m2 / bc2).sqrt_().add_(eps), value=-lr / bc1)
                p.copy_(w)
        if STATS:
            _stat(self.rank, self.device, f"AdamW step {self.step_count}")
        return norm, None

    # Generation.

    def generate(self, prompts, n, sampling, seed, first, stop):
        """Samples n responses to each prompt (the prompts numbered from
        first in the request) with a KV cache; returns per response its
        tokens, log-probs, entropies and finish reason."""
        start = time.perf_counter()
        with torch.no_grad():
            out = self._generate(prompts, n, sampling, seed, first, stop)
        if STATS:
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            tokens = sum(len(r["tokens"]) for r in out)
            _stat(self.rank, self.device, f"generated {tokens} tokens in {time.perf_counter() - start:.2f} s ({tokens / (time.perf_counter() - start):.0f} tok/s)")
        return out

    def _generate(self, prompts, n, s, seed, first, stop):
        c, m, dev = self.cfg, self.model, self.device
        P, S, ctx = len(prompts), len(prompts) * n, c.context
        if P == 0:
            return []
        kc = torch.zeros((c.layers, S, c.kv_heads, ctx, c.head_dim), dtype=self.dtype, device=dev)
        vc = torch.zeros_like(kc)
        lens = [len(p) for p in prompts]
        T = max(lens)
        tokens = np.zeros((P, T), np.int64)
        for i, p in enumerate(prompts):
            tokens[i, :len(p)] = p
        mask = torch.full((T, T), float("-inf"), device=dev).triu(1)[None, None]

        def prefill(l, k, v):  # each prompt's keys and values into its n streams
            kc[l].view(P, n, c.kv_heads, ctx, c.head_dim)[:, :, :, :T] = k[:, None]
            vc[l].view(P, n, c.kv_heads, ctx, c.head_dim)[:, :, :, :T] = v[:, None]
            return k, v, mask
        tok = torch.from_numpy(tokens).to(dev)
        h = m.hidden(tok, torch.arange(T, device=dev).expand(P, T), prefill)
        h = h[torch.arange(P, device=dev), torch.tensor(lens, device=dev) - 1]
        logits = (h @ m.head().t()).float().cpu().numpy()

        temperature, top_p, max_tokens = s["temperature"], s["top_p"], s["max_tokens"]
        gate = s.get("gate")
        out = [{"tokens": [], "logps": [], "ents": [], "finish": ""} for _ in range(S)]
        rngs = [stream(seed, first + i // n, i % n) for i in range(S)]

        def emit(i, row):
            tok, lp, ent = sample_token(row, temperature, top_p, gate, rngs[i])
            r = out[i]
            r["tokens"].append(tok)
            r["logps"].append(lp)
            r["ents"].append(ent)
            if tok in stop:
                r["finish"] = "stop"
            elif len(r["tokens"]) == max_tokens or lens[i // n] + len(r["tokens"]) >= ctx:
                r["finish"] = "length"
        for i in range(S):
            emit(i, logits[i // n])
        while True:
            active = [i for i in range(S) if not out[i]["finish"]]
            if not active:
                return out
            idx = torch.tensor(active, device=dev)
            pos = torch.tensor([lens[i // n] + len(out[i]["tokens"]) - 1 for i in active], device=dev)
            last = torch.tensor([out[i]["tokens"][-1] for i in active], device=dev)
            span = int(pos.max()) + 1
            dmask = torch.where(torch.arange(span, device=dev)[None, :] <= pos[:, None], 0.0, float("-inf"))[:, None, None, :]

            def decode(l, k, v):
                kc[l, idx, :, pos] = k[:, :, 0]
                vc[l, idx, :, pos] = v[:, :, 0]
                return kc[l, idx, :, :span], vc[l, idx, :, :span], dmask
            h = m.hidden(last[:, None], pos[:, None], decode)[:, 0]
            logits = (h @ m.head().t()).float().cpu().numpy()
            for j, i in enumerate(active):
                emit(i, logits[j])


def _split(flat, lengths):
    """Splits a flat tensor into numpy float32 rows of the given lengths."""
    a = flat.detach().float().cpu().numpy()
    out, off = [], 0
    for n in lengths:
        out.append(a[off:off + n])
        off += n
    return out
