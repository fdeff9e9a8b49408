"""Token sampling exactly as tinylm samples (plugins/backend/tinylm/generate.go).

Each response draws from its own random stream, Go's math/rand/v2 PCG seeded
with (request seed, prompt << 32 | sample), so that batching, sharding over
ranks and the backend do not change a response: the same weights give the
same tokens in tinylm and here, up to ties closer than float32 rounding.
"""

import math

import numpy as np

_MASK64, _MASK128 = (1 << 64) - 1, (1 << 128) - 1
_MUL = (2549297995355413924 << 64) | 4865540595714422341
_INC = (6364136223846793005 << 64) | 1442695040888963407


class PCG:
    """Go's math/rand/v2 PCG (128-bit LCG, DXSM output) and Rand.Float64."""

    def __init__(self, seed1, seed2):
        self.state = ((seed1 & _MASK64) << 64) | (seed2 & _MASK64)

    def uint64(self):
        self.state = (self.state * _MUL + _INC) & _MASK128
        hi, lo = self.state >> 64, self.state & _MASK64
        hi ^= hi >> 32
        hi = (hi * 0xDA942042E4DD58B5) & _MASK64
        hi ^= hi >> 48
        return (hi * (lo | 1)) & _MASK64

    def float64(self):
        return (self.uint64() & ((1 << 53) - 1)) / (1 << 53)


def stream(seed, prompt, sample):
    """The random stream of one response."""
    return PCG(seed, (prompt << 32) | (sample & 0xFFFFFFFF))


def softmax(row, temperature):
    """softmax(row/T) in float32 and its entropy, with the row's statistics in float64."""
    z = row.astype(np.float64) / temperature
    m = z.max()
    e = np.exp(z - m)
    s = e.sum()
    logz = m + math.log(s)
    p = e / s
    ent = float(logz - (p * z).sum())
    return np.exp(z - logz).astype(np.float32), ent


def sample_token(row, temperature, top_p, gate, rng):
    """Draws a token from one row of logits (a float32 numpy array). Returns
    the token, the sampler's log-prob of it (after temperature, entropy gate
    and top-p) and the entropy at the base temperature (1 when greedy).
    gate is None or (threshold, t_high, t_low); it reads the entropy at
    T = 1, as the paper's gate (and tinylm's) does."""
    base = temperature if temperature > 0 else 1.0
    probs, ent = softmax(row, base)
    probs_at = base  # the temperature probs holds
    T = temperature
    if gate is not None:
        at_one = ent
        if base != 1.0:
            probs, at_one = softmax(row, 1.0)
            probs_at = 1.0
        T = gate[1] if at_one > gate[0] else gate[2]
    if T <= 0:
        return int(np.argmax(row)), 0.0, ent
    if T != probs_at:
        probs, _ = softmax(row, T)
    if 0 < top_p < 1:
        order = np.argsort(-probs, kind="stable")
        cum = np.cumsum(probs[order], dtype=np.float32)
        hit = np.nonzero(cum >= np.float32(top_p))[0]
        kept = int(hit[0]) + 1 if len(hit) else len(order)
        order = order[:kept]
    else:
        order = np.arange(len(probs))
    p = probs[order].astype(np.float64)
    cum = np.cumsum(p)
    u = rng.float64() * cum[-1]
    hit = np.nonzero((u < cum) & (p > 0))[0]
    pick = int(order[hit[0]]) if len(hit) else int(order[-1])
    return pick, float(math.log(float(probs[pick]) / cum[-1])), ent
