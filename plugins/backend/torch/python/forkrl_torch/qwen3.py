"""Qwen3 in plain PyTorch (runs on torch 1.13): the architecture tinylm runs.

RMSNorm before attention and MLP, grouped-query attention with per-head
RMSNorm on queries and keys before rotary embeddings (Hugging Face's
rotate_half pairs (i, i+d/2)), a SwiGLU MLP, tied or untied output
projection. Parameter names are Hugging Face's, so state dicts load both
ways. The rotary tables are computed in float64 and rounded, as tinylm does.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


class Config:
    """The shape of a Qwen3 model, read from a Hugging Face config.json."""

    def __init__(self, c, context=0):
        self.vocab = int(c["vocab_size"])
        self.width = int(c["hidden_size"])
        self.mlp = int(c["intermediate_size"])
        self.layers = int(c["num_hidden_layers"])
        self.heads = int(c["num_attention_heads"])
        self.kv_heads = int(c.get("num_key_value_heads") or self.heads)
        self.head_dim = int(c.get("head_dim") or self.width // self.heads)
        self.eps = float(c.get("rms_norm_eps", 1e-6))
        self.theta = float(c.get("rope_theta", 10000))
        self.tie = bool(c.get("tie_word_embeddings", False))
        self.context = int(context or c.get("max_position_embeddings", 4096))

    def tensors(self):
        """(name, shape, decayed) of every parameter, in tinylm's order."""
        D, hd, F_, V = self.width, self.head_dim, self.mlp, self.vocab
        out = [("model.embed_tokens.weight", (V, D), True)]
        for i in range(self.layers):
            p = f"model.layers.{i}."
            out += [(p + "input_layernorm.weight", (D,), False),
                    (p + "self_attn.q_proj.weight", (self.heads * hd, D), True),
                    (p + "self_attn.k_proj.weight", (self.kv_heads * hd, D), True),
                    (p + "self_attn.v_proj.weight", (self.kv_heads * hd, D), True),
                    (p + "self_attn.q_norm.weight", (hd,), False),
                    (p + "self_attn.k_norm.weight", (hd,), False),
                    (p + "self_attn.o_proj.weight", (D, self.heads * hd), True),
                    (p + "post_attention_layernorm.weight", (D,), False),
                    (p + "mlp.gate_proj.weight", (F_, D), True),
                    (p + "mlp.up_proj.weight", (F_, D), True),
                    (p + "mlp.down_proj.weight", (D, F_), True)]
        out.append(("model.norm.weight", (D,), False))
        if not self.tie:
            out.append(("lm_head.weight", (V, D), True))
        return out


def rms_norm(x, w, eps):
    """RMSNorm computed in float32, as Hugging Face's Qwen3RMSNorm."""
    x32 = x.float()
    return (w.float() * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps))).to(x.dtype)


def rotate(x, cos, sin):
    """Rotary embedding of x [..., T, hd] with cos and sin [..., T, hd/2]."""
    a, b = x.chunk(2, dim=-1)
    return torch.cat((a * cos - b * sin, b * cos + a * sin), dim=-1)


class Qwen3(nn.Module):
    """A Qwen3 causal language model whose parameters carry Hugging Face's names."""

    def __init__(self, cfg, dtype=torch.float32, device="cpu"):
        super().__init__()
        self.cfg = cfg
        self.params = nn.ParameterDict()
        self.names = []
        for name, shape, _ in cfg.tensors():
            self.params[name.replace(".", "__")] = nn.Parameter(torch.zeros(shape, dtype=dtype, device=device))
            self.names.append(name)
        half = cfg.head_dim // 2
        pos = torch.arange(cfg.context, dtype=torch.float64)[:, None]
        freq = cfg.theta ** (-2 * torch.arange(half, dtype=torch.float64) / cfg.head_dim)
        self.register_buffer("cos", torch.cos(pos * freq).float().to(device), persistent=False)
        self.register_buffer("sin", torch.sin(pos * freq).float().to(device), persistent=False)

    def p(self, name):
        return self.params[name.replace(".", "__")]

    def named(self):
        """(Hugging Face name, parameter) pairs in tinylm's order."""
        return [(n, self.p(n)) for n in self.names]

    def head(self):
        return self.p("model.embed_tokens.weight" if self.cfg.tie else "lm_head.weight")

    def hidden(self, tokens, pos, attend):
        """Runs the layers over tokens [B, T] at positions pos [B, T] and
        returns the final normed hidden states [B, T, D]. attend(l, k, v)
        takes one layer's new keys and values [B, KV, T, hd] and returns the
        keys, values and additive mask [B, 1, T, S] to attend over (a cache's
        or the new ones)."""
        c = self.cfg
        B, T = tokens.shape
        x = F.embedding(tokens, self.p("model.embed_tokens.weight"))
        cos, sin = self.cos[pos][:, None].to(x.dtype), self.sin[pos][:, None].to(x.dtype)
        group, scale = c.heads // c.kv_heads, 1 / math.sqrt(c.head_dim)
        for l in range(c.layers):
            p = f"model.layers.{l}."
            h = rms_norm(x, self.p(p + "input_layernorm.weight"), c.eps)
            q = (h @ self.p(p + "self_attn.q_proj.weight").t()).view(B, T, c.heads, c.head_dim).transpose(1, 2)
            k = (h @ self.p(p + "self_attn.k_proj.weight").t()).view(B, T, c.kv_heads, c.head_dim).transpose(1, 2)
            v = (h @ self.p(p + "self_attn.v_proj.weight").t()).view(B, T, c.kv_heads, c.head_dim).transpose(1, 2)
            q = rotate(rms_norm(q, self.p(p + "self_attn.q_norm.weight"), c.eps), cos, sin)
            k = rotate(rms_norm(k, self.p(p + "self_attn.k_norm.weight"), c.eps), cos, sin)
            keys, vals, mask = attend(l, k, v)
            if group > 1:
                keys, vals = keys.repeat_interleave(group, dim=1), vals.repeat_interleave(group, dim=1)
            s = (q @ keys.transpose(-1, -2)).float() * scale + mask
            y = (torch.softmax(s, dim=-1).to(vals.dtype) @ vals).transpose(1, 2).reshape(B, T, c.heads * c.head_dim)
            x = x + y @ self.p(p + "self_attn.o_proj.weight").t()
            h = rms_norm(x, self.p(p + "post_attention_layernorm.weight"), c.eps)
            g = h @ self.p(p + "mlp.gate_proj.weight").t()
            u = h @ self.p(p + "mlp.up_proj.weight").t()
            x = x + (F.silu(g) * u) @ self.p(p + "mlp.down_proj.weight").t()
        return rms_norm(x, self.p("model.norm.weight"), c.eps)

    def causal(self, tokens, pos):
        """hidden() with causal attention within each row (right padding needs no other mask)."""
        T = tokens.shape[1]
        mask = torch.full((T, T), float("-inf"), device=tokens.device).triu(1)[None, None]
        return self.hidden(tokens, pos, lambda l, k, v: (k, v, mask))


def token_stats(h, head, targets, temperature):
    """Log-probs of targets and entropies of softmax(h·headᵀ/T), in float32:
    h [M, D], targets [M]."""
    z = (h @ head.t()).float() / temperature
    logz = torch.logsumexp(z, dim=-1)
    logp = z.gather(1, targets[:, None])[:, 0] - logz
    ent = logz - (torch.softmax(z, dim=-1) * z).sum(-1)
    return logp, ent
