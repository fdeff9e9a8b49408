"""Checkpoint folders, read and written with numpy alone.

A checkpoint is what tinylm reads and writes: config.json (Hugging Face's
Qwen3 config, plus a "tinylm" section with the character tokenizer's
alphabet), model.safetensors (or shards listed by
model.safetensors.index.json) with Hugging Face Qwen3 tensor names, and
optimizer.safetensors (AdamW moments under exp_avg.NAME and exp_avg_sq.NAME,
the step count in the metadata). Both backends read each other's checkpoints.
Every file is written to a temporary name and renamed into place.
"""

import json
import os
import struct

import numpy as np

WEIGHTS, CONFIG, OPTIMIZER, INDEX = "model.safetensors", "config.json", "optimizer.safetensors", "model.safetensors.index.json"

_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"),
           "I32": np.dtype("<i4"), "I64": np.dtype("<i8")}


class CheckpointError(Exception):
    """A checkpoint that cannot be read: a missing file or tensor, a wrong shape."""


class SafeTensors:
    """One safetensors file, its tensors read on demand (memory-mapped)."""

    def __init__(self, path):
        self.path = path
        try:
            with open(path, "rb") as f:
                n = struct.unpack("<Q", f.read(8))[0]
                header = json.loads(f.read(n))
        except FileNotFoundError:
            raise
        except (OSError, ValueError, struct.error) as e:
            raise CheckpointError(f"{path}: not a safetensors file: {e}") from e
        self.metadata = header.pop("__metadata__", {}) or {}
        self.header, self.offset = header, 8 + n
        self._data = np.memmap(path, dtype=np.uint8, mode="r") if os.path.getsize(path) > self.offset else np.zeros(self.offset, np.uint8)

    def names(self):
        return list(self.header)

    def check(self, name, shape):
        """Checks that tensor name exists with this shape and a readable dtype, reading no data."""
        if name not in self.header:
            raise CheckpointError(f"{self.path}: no tensor {name!r}")
        h = self.header[name]
        if list(h["shape"]) != list(shape):
            raise CheckpointError(f"{self.path}: tensor {name!r} has shape {h['shape']}, the model needs {list(shape)}")
        if h["dtype"] not in _DTYPES:
            raise CheckpointError(f"{self.path}: tensor {name!r} has dtype {h['dtype']}; float32, bfloat16 or float16 are read")
        return h

    def read(self, name, shape):
        """Returns tensor name as float32, checking its shape."""
        h = self.check(name, shape)
        lo, hi = h["data_offsets"]
        raw = np.frombuffer(self._data[self.offset + lo:self.offset + hi], dtype=_DTYPES[h["dtype"]])
        if h["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        return raw.astype(np.float32).reshape(shape)


class Folder:
    """The weights of a checkpoint folder: model.safetensors or its shards."""

    def __init__(self, dir):
        self.dir, self.files, self.where = dir, {}, {}
        index = os.path.join(dir, INDEX)
        if os.path.exists(index):
            with open(index) as f:
                weight_map = json.load(f)["weight_map"]
            for name, file in weight_map.items():
                self.where[name] = file
        else:
            path = os.path.join(dir, WEIGHTS)
            if not os.path.exists(path):
                raise CheckpointError(f"{dir}: no {WEIGHTS} and no {INDEX}")
            st = SafeTensors(path)
            self.files[WEIGHTS] = st
            self.where = {name: WEIGHTS for name in st.names()}

    def _file(self, name):
        if name not in self.where:
            raise CheckpointError(f"{self.dir}: the checkpoint has no tensor {name!r}")
        file = self.where[name]
        if file not in self.files:
            self.files[file] = SafeTensors(os.path.join(self.dir, file))
        return self.files[file]

    def check(self, name, shape):
        """Checks that tensor name exists with this shape, reading no data."""
        self._file(name).check(name, shape)

    def read(self, name, shape):
        """Returns tensor name as float32, checking its shape."""
        return self._file(name).read(name, shape)


def write_safetensors(path, tensors, metadata=None):
    """Writes named float32 tensors as one safetensors file, atomically.
    tensors is a list of (name, shape, data): data is an array, or a function
    returning one, called when the tensor is written (so that a large model is
    copied out one tensor at a time)."""
    header, offset = {}, 0
    for name, shape, _ in tensors:
        n = int(np.prod(shape)) if len(shape) else 1
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + n * 4]}
        offset += n * 4
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)

    def body(f):
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for _, _, data in tensors:
            f.write(np.ascontiguousarray(data() if callable(data) else data, dtype="<f4").tobytes())
    write_atomic(path, body)


def write_atomic(path, body):
    """Writes a file through body(f) under a temporary name and renames it into place."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            body(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_config(dir):
    """Returns config.json of a checkpoint folder as a dict."""
    path = os.path.join(dir, CONFIG)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise CheckpointError(f"{dir}: no {CONFIG}: the checkpoint must be a folder written by forkrl or a Hugging Face Qwen3 folder")
    except ValueError as e:
        raise CheckpointError(f"{path}: {e}")
