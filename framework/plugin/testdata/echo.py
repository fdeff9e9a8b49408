#!/usr/bin/python3
"""A selector that sends back the entropies it is given as weights: the
Python end of the plugin transport's tests and benchmarks. It uses forkrl's
Python plugin scaffolding (plugins/backend/torch/python/forkrl_plugin)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "..", "plugins", "backend", "torch", "python"))

import numpy as np  # noqa: E402

import forkrl_plugin as fp  # noqa: E402
from forkrl.v1 import selector_pb2 as pb  # noqa: E402


class Echo(fp.Plugin):
    name, version, kinds = "python-echo", "0.0.1", ["selector"]

    def Select(self, req):
        rows = fp.unragged(req.entropies, np.float32) or []
        resp = pb.SelectResponse(weights=fp.ragged(rows, np.float32), selected=len(rows))
        if req.step < 0:
            raise RuntimeError("a negative step fails the call on purpose")
        return resp


if __name__ == "__main__":
    fp.serve(Echo(), {"forkrl.v1.Selector": pb})
