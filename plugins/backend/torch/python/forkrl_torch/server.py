"""The torch backend plugin: forkrl.v1.Backend served from a process that
needs grpc, protobuf and numpy only; the model lives in world_size worker
processes (pool.py, worker.py, engine.py) run with the configured Python.

Requests are checked here, as tinylm checks them (bad input is a
diagnostic), then each Forward, Score and Generate batch is cut into
world_size contiguous shards, one per rank, and the per-token results are
put back together in order. Backward sends each rank the coefficients of
its own shard; Step all-reduces the gradients across ranks before clipping
and AdamW, so every rank holds the same weights.
"""

import os
import sys
import threading

import numpy as np

import forkrl_plugin as fp
from forkrl.v1 import backend_pb2 as pb
from forkrl_torch import checkpoint as ckpt
from forkrl_torch.pool import Pool, WorkerError
from forkrl_torch.tokenizer import load_tokenizer

NAME, VERSION = "torch", "0.1.0"

SCHEMA = [
    fp.attribute("checkpoint", "path", "the model folder: a forkrl checkpoint (tinylm's format) or a Hugging Face Qwen3 folder; relative to the recipe", required=True),
    fp.attribute("device", "string", "where the model runs", default="cpu", enum=["cpu", "cuda"]),
    fp.attribute("dtype", "string", "element type of the weights and activations (log-probs and entropies are always float32)", default="float32", enum=["float32", "bfloat16"]),
    fp.attribute("world_size", "number", "data-parallel worker processes (torch.distributed: gloo on cpu, NCCL on cuda)", default=1, min=1, max=1024),
    fp.attribute("python", "string", "the Python interpreter of the workers (it must import torch); empty: the plugin's own", default=""),
    fp.attribute("implementation", "string", "plain: forkrl's Qwen3 in plain PyTorch; transformers: Hugging Face's Qwen3 classes (transformers must be importable)", default="plain", enum=["plain", "transformers"]),
    fp.attribute("context", "number", "longest prompt+response in tokens; 0: config.json's max_position_embeddings", default=0, min=0, max=1 << 20),
    fp.attribute("threads", "number", "torch threads of each worker; 0: torch's default", default=1, min=0, max=1024),
    fp.attribute("worker_timeout", "number", "seconds a worker may take to answer one call or to wait in a collective", default=600, min=1, max=86400),
]


class Backend(fp.Plugin):
    name, version, kinds = NAME, VERSION, ["backend"]
    description = "Qwen3 models in PyTorch (CPU or CUDA) with data parallelism over torch.distributed"

    def __init__(self):
        self.lock = threading.Lock()
        self.pool, self.tok, self.cfg = None, None, None
        self.handles, self.next = {}, 0

    def schema(self, kind):
        return SCHEMA

    def close(self):
        if self.pool:
            self.pool.close()

    def configure(self, kind, settings, seed, dir):
        s, diags = fp.resolve(SCHEMA, settings)
        if fp.has_errors(diags):
            return diags
        if not s["checkpoint"]:
            return diags + [fp.diagnostic("checkpoint is empty", "name a model folder: a forkrl checkpoint or a Hugging Face Qwen3 folder", "checkpoint")]
        with self.lock:
            try:
                cfg = ckpt.read_config(s["checkpoint"])
                tok = load_tokenizer(s["checkpoint"], cfg)
            except (ckpt.CheckpointError, ValueError, KeyError) as e:
                return diags + [fp.diagnostic(f"cannot read the checkpoint: {e}", attribute="checkpoint")]
            python = s["python"] or sys.executable
            if os.sep in python and not os.access(python, os.X_OK):
                return diags + [fp.diagnostic(f"the python {python!r} does not exist or is not executable", "set python to an interpreter that imports torch", "python")]
            key = (python, int(s["world_size"]), s["device"], float(s["worker_timeout"]))
            pool = self.pool if self.pool and not self.pool.broken and self.pool.key == key else None
            if pool is None:  # the workers of an earlier Configure serve again when they can
                try:
                    pool = Pool(*key)
                except WorkerError as e:
                    return diags + [fp.diagnostic(f"the torch workers could not start: {e}", "the python setting names the workers' interpreter; it must import torch", "python")]
            try:
                params = pool.call("configure", [(s,)] * pool.world)[0]
            except WorkerError as e:
                if pool is not self.pool:
                    pool.close()
                return diags + [fp.diagnostic(f"the torch workers could not load the model: {e}", attribute="checkpoint" if e.bad_input else "")]
            if self.pool and self.pool is not pool:
                self.pool.close()
            self.pool, self.tok, self.settings, self.params = pool, tok, s, params
            self.context = int(s["context"] or cfg.get("max_position_embeddings", 4096))
            self.vocab = int(cfg["vocab_size"])
            self.handles, self.next = {}, 0
        return diags

    # Requests.

    def _ready(self):
        if self.pool is None:
            raise fp.BadRequest("the torch backend is not configured: call Configure first")

    def _call(self, method, per_rank):
        try:
            return self.pool.call(method, per_rank)
        except WorkerError as e:
            raise RuntimeError(str(e)) from None

    def Model(self, req):
        with self.lock:
            self._ready()
            return pb.ModelResponse(vocab_size=self.vocab, context_length=self.context, tokenizer=self.tok.name,
                                    special=self.tok.roles, stop_tokens=self.tok.stops, parameters=self.params)

    def Encode(self, req):
        with self.lock:
            self._ready()
            ids, diags = [], []
            if hasattr(self.tok, "encode_all"):  # one tokenizer run for the batch
                try:
                    ids = self.tok.encode_all(list(req.texts))
                except ValueError as e:
                    diags.append(fp.diagnostic(str(e)))
            else:
                for i, text in enumerate(req.texts):
                    try:
                        ids.append(self.tok.encode(text))
                    except ValueError as e:
                        diags.append(fp.diagnostic(f"text {i}: {e}"))
            if diags:
                return pb.EncodeResponse(diagnostics=diags)
            return pb.EncodeResponse(ids=fp.ragged(ids, np.int32))

    def Decode(self, req):
        with self.lock:
            self._ready()
            texts, diags = [], []
            for i, ids in enumerate(fp.unragged(req.ids, np.int32) or []):
                try:
                    texts.append(self.tok.decode(ids))
                except ValueError as e:
                    diags.append(fp.diagnostic(f"sequence {i}: {e}"))
            return pb.DecodeResponse(diagnostics=diags) if diags else pb.DecodeResponse(texts=texts)

    def _check_ids(self, what, ids):
        bad = np.nonzero((ids < 0) | (ids >= self.vocab))[0]
        if len(bad):
            return [fp.diagnostic(f"{what}: token {bad[0]} has id {ids[bad[0]]}, outside the vocabulary [0, {self.vocab})")]
        return []

    def _shards(self, n):
        """Contiguous [lo, hi) ranges of n items, one per rank."""
        w = self.pool.world
        return [(r * n // w, (r + 1) * n // w) for r in range(w)]

    def Generate(self, req):
        with self.lock:
            self._ready()
            s, diags = req.sampling, []
            prompts = fp.unragged(req.prompts, np.int32) or []
            if req.n < 1:
                diags.append(fp.diagnostic(f"N must be at least 1, got {req.n}"))
            if s.temperature < 0 or s.top_p < 0 or s.top_p > 1 or s.max_tokens < 0:
                diags.append(fp.diagnostic(f"bad sampling settings: temperature {s.temperature:g} (≥ 0), top_p {s.top_p:g} (in [0, 1]), max tokens {s.max_tokens} (≥ 0; 0: up to the context)"))
            gate = None
            if s.HasField("entropy_gate"):
                g = s.entropy_gate
                if g.t_high < 0 or g.t_low < 0:
                    diags.append(fp.diagnostic(f"bad entropy gate: temperatures {g.t_high:g} and {g.t_low:g} must be ≥ 0"))
                gate = (g.threshold, g.t_high, g.t_low)
            for i, p in enumerate(prompts):
                if len(p) == 0:
                    diags.append(fp.diagnostic(f"prompt {i} is empty; start it with a token"))
                elif len(p) >= self.context:
                    diags.append(fp.diagnostic(f"prompt {i} has {len(p)} tokens; the context holds {self.context}, so prompts must be shorter than that"))
                diags += self._check_ids(f"prompt {i}", p)
            stops = np.asarray(s.stop_tokens, np.int32)
            diags += self._check_ids("stop tokens", stops)
            if diags or not prompts:
                return pb.GenerateResponse(diagnostics=diags)
            sampling = {"temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_tokens, "gate": gate}
            stop = set(self.tok.stops) | {int(t) for t in stops}
            shards = self._shards(len(prompts))
            replies = self._call("generate", [([p.tolist() for p in prompts[lo:hi]], req.n, sampling, req.seed, lo, stop) for lo, hi in shards])
            out = [r for reply in replies for r in reply]
            pieces = [self.tok.piece(t) for r in out for t in r["tokens"]]
            return pb.GenerateResponse(
                prompts=[i // req.n for i in range(len(out))],
                tokens=fp.ragged([r["tokens"] for r in out], np.int32),
                log_probs=fp.ragged([r["logps"] for r in out], np.float32),
                entropies=fp.ragged([r["ents"] for r in out], np.float32),
                pieces=pieces, finish=[r["finish"] for r in out])

    def _sequences(self, req):
        """The checked (prompt, response) pairs of a score request, or diagnostics."""
        diags = []
        if req.with_values:
            diags.append(fp.diagnostic("values were requested but the torch backend has no value head"))
        if req.temperature < 0:
            diags.append(fp.diagnostic(f"temperature must be ≥ 0 (0 means 1), got {req.temperature:g}"))
        prompts = fp.unragged(req.prompts, np.int32) or []
        responses = fp.unragged(req.responses, np.int32) or []
        if len(prompts) != len(responses):
            raise fp.BadRequest(f"{len(prompts)} prompts for {len(responses)} responses")
        for i, (p, r) in enumerate(zip(prompts, responses)):
            if len(p) == 0 and len(r) > 0:
                diags.append(fp.diagnostic(f"sequence {i} has an empty prompt; the first response token needs a token before it"))
            if len(p) + len(r) > self.context:
                diags.append(fp.diagnostic(f"sequence {i} has {len(p) + len(r)} tokens (prompt {len(p)} + response {len(r)}); the context holds {self.context}"))
            diags += self._check_ids(f"sequence {i} prompt", p) + self._check_ids(f"sequence {i} response", r)
        return list(zip(prompts, responses)), diags

    def _score(self, req, method):
        seqs, diags = self._sequences(req)
        if diags:
            return None, None, diags, None
        T = req.temperature or 1.0
        shards = self._shards(len(seqs))
        replies = self._call(method, [(seqs[lo:hi], T) for lo, hi in shards])
        if method == "forward":
            handles = [r[0] for r in replies]
            replies = [r[1:] for r in replies]
        else:
            handles = None
        logp = [row for r in replies for row in r[0]]
        ent = [row for r in replies for row in r[1]]
        return pb.ScoreResponse(log_probs=fp.ragged(logp, np.float32), entropies=fp.ragged(ent, np.float32)), handles, diags, shards

    def Score(self, req):
        with self.lock:
            self._ready()
            resp, _, diags, _ = self._score(req, "score")
            return resp or pb.ScoreResponse(diagnostics=diags)

    def Forward(self, req):
        with self.lock:
            self._ready()
            resp, handles, diags, shards = self._score(req, "forward")
            if resp is None:
                return pb.ForwardResponse(score=pb.ScoreResponse(diagnostics=diags))
            self.next += 1
            lengths = [len(r) for r in fp.unragged(req.responses, np.int32) or []]
            self.handles[self.next] = (handles, shards, lengths)
            return pb.ForwardResponse(score=resp, handle=self.next)

    def Backward(self, req):
        with self.lock:
            self._ready()
            if req.handle not in self.handles:
                return pb.BackwardResponse(diagnostics=[fp.diagnostic(f"unknown forward handle {req.handle} (each handle takes one Backward)")])
            handles, shards, lengths = self.handles[req.handle]
            diags, grads = [], []
            for what, r in (("the log-prob gradient", req.grad_log_probs), ("the entropy gradient", req.grad_entropies)):
                rows = fp.unragged(r, np.float32) if r.ByteSize() else None
                if rows is not None and len(rows) != len(lengths):
                    diags.append(fp.diagnostic(f"{what} has {len(rows)} sequences, the forward pass had {len(lengths)}"))
                elif rows is not None:
                    for s, (row, n) in enumerate(zip(rows, lengths)):
                        if len(row) != n:
                            diags.append(fp.diagnostic(f"{what} of sequence {s} has {len(row)} values, its response has {n} tokens"))
                            break
                grads.append(rows)
            if req.grad_values.ByteSize():
                diags.append(fp.diagnostic("a value gradient was given but the torch backend has no value head"))
            if diags:
                return pb.BackwardResponse(diagnostics=diags)
            del self.handles[req.handle]
            gl, gh = grads
            self._call("backward", [(h, gl[lo:hi] if gl is not None else None, gh[lo:hi] if gh is not None else None)
                                    for h, (lo, hi) in zip(handles, shards)])
            return pb.BackwardResponse()

    def Step(self, req):
        with self.lock:
            self._ready()
            if req.learning_rate < 0 or not 0 <= req.beta1 < 1 or not 0 <= req.beta2 < 1 or req.epsilon <= 0 or req.weight_decay < 0 or req.max_grad_norm < 0:
                return pb.StepResponse(diagnostics=[fp.diagnostic(
                    f"bad optimizer settings: learning rate {req.learning_rate:g} (≥ 0), betas {req.beta1:g} and {req.beta2:g} (in [0, 1)), epsilon {req.epsilon:g} (> 0), weight decay {req.weight_decay:g} (≥ 0), max grad norm {req.max_grad_norm:g} (≥ 0)")])
            args = (req.learning_rate, req.beta1, req.beta2, req.epsilon, req.weight_decay, req.max_grad_norm)
            norm, err = self._call("step", [args] * self.pool.world)[0]
            return pb.StepResponse(grad_norm=norm, diagnostics=[fp.diagnostic(err)] if err else [])

    def Save(self, req):
        with self.lock:
            self._ready()
            try:
                self._call("save", [(req.dir,)] * self.pool.world)
            except RuntimeError as e:
                if self.pool.broken:
                    raise
                return pb.SaveResponse(diagnostics=[fp.diagnostic(f"cannot save the checkpoint: {e}")])
            return pb.SaveResponse()

    def Load(self, req):
        with self.lock:
            self._ready()
            try:
                self._call("load", [(req.dir,)] * self.pool.world)
            except RuntimeError as e:
                if self.pool.broken:
                    raise
                return pb.LoadResponse(diagnostics=[fp.diagnostic(f"cannot load the checkpoint: {e}")])
            self.handles.clear()
            return pb.LoadResponse()


def main():
    fp.serve(Backend(), {"forkrl.v1.Backend": pb})
