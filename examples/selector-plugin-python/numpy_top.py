#!/usr/bin/python3
"""An external forkrl selector written in Python with numpy: the top-ρ
highest-entropy valid tokens of the batch it is given (the paper's forking
tokens), with the TopK rule of forkrl's kernels/selection: exactly
max(1, int(n·ρ + 0.9999)) of the n valid tokens, ties broken by the earlier
token. Named in a recipe by source and sha256 (see README.md).

It uses forkrl's Python plugin scaffolding (plugins/backend/torch/python/
forkrl_plugin), found relative to this file's real path.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "plugins", "backend", "torch", "python"))

import numpy as np  # noqa: E402

import forkrl_plugin as fp  # noqa: E402
from forkrl.v1 import selector_pb2 as pb  # noqa: E402

SCHEMA = [
    fp.attribute("rho", "number", "fraction of the valid tokens kept, highest entropy first", default=0.2, min=0, max=1),
]


class NumpyTop(fp.Plugin):
    name, version, kinds = "numpy_top", "0.1.0", ["selector"]
    description = "top-ρ entropy tokens, in Python with numpy"

    def __init__(self):
        self.rho = 0.2

    def schema(self, kind):
        return SCHEMA

    def configure(self, kind, settings, seed, dir):
        values, diags = fp.resolve(SCHEMA, settings)
        if not fp.has_errors(diags):
            self.rho = values["rho"]
        return diags

    def Select(self, req):
        ents = fp.unragged(req.entropies, np.float32) or []
        masks = fp.unragged(req.masks, np.uint8)
        if masks is not None and [len(m) for m in masks] != [len(e) for e in ents]:
            return pb.SelectResponse(diagnostics=[fp.diagnostic("the masks and the entropies have rows of different lengths")])
        flat = np.concatenate(ents) if ents else np.zeros(0, np.float32)
        valid = np.concatenate(masks).astype(bool) if masks is not None and ents else np.ones(len(flat), bool)
        valid &= ~np.isnan(flat)
        idx = np.nonzero(valid)[0]
        weights = np.zeros(len(flat), np.float32)
        threshold = 0.0
        if len(idx):
            k = min(max(1, int(len(idx) * self.rho + 0.9999)), len(idx))
            order = idx[np.argsort(-flat[idx], kind="stable")]  # highest first, earlier token first among equals
            weights[order[:k]] = 1
            threshold = float(flat[order[k - 1]])
        lengths = [len(e) for e in ents]
        rows = np.split(weights, np.cumsum(lengths)[:-1]) if ents else []
        return pb.SelectResponse(weights=fp.ragged(rows, np.float32), threshold=threshold, selected=int(weights.sum()))


if __name__ == "__main__":
    fp.serve(NumpyTop(), {"forkrl.v1.Selector": pb})
