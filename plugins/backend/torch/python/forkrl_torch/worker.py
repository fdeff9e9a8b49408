"""One rank of the torch backend: a process that holds the model, its
optimizer state and the autograd graphs of pending Forward passes, and
answers the plugin process's requests (pool.py) one at a time.

Requests and replies are pickled over two pipes. Ranks share nothing but the
gradient all-reduce of Step (torch.distributed: gloo on CPU, NCCL on CUDA,
with the plugin's worker_timeout on every collective). A worker exits when its
request pipe closes or its parent dies.
"""

import ctypes
import datetime
import os
import pickle
import signal
import struct
import sys
import traceback


def send(f, obj):
    """Writes one length-prefixed pickled message."""
    raw = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    f.write(struct.pack("<Q", len(raw)))
    f.write(raw)
    f.flush()


def recv(f):
    """Reads one message; EOFError when the pipe has closed."""
    head = f.read(8)
    if len(head) < 8:
        raise EOFError
    n = struct.unpack("<Q", head)[0]
    raw = f.read(n)
    if len(raw) < n:
        raise EOFError
    return pickle.loads(raw)


def die_with_parent():
    """Asks Linux to SIGKILL this process when its parent exits."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def main():
    rank, world, init, timeout, device = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5]
    fin, fout = os.fdopen(int(sys.argv[6]), "rb"), os.fdopen(int(sys.argv[7]), "wb")
    die_with_parent()
    if os.getppid() == 1:
        sys.exit(1)
    try:
        import torch  # noqa: F401
        from forkrl_torch.checkpoint import CheckpointError
        from forkrl_torch.engine import Engine
    except Exception as e:  # the plugin reports it as the cause
        send(fout, ("error", f"cannot import torch with {sys.executable}: {type(e).__name__}: {e}"))
        sys.exit(1)
    try:
        if world > 1:
            import torch.distributed as dist
            dist.init_process_group("nccl" if device == "cuda" else "gloo", init_method=init, rank=rank,
                                    world_size=world, timeout=datetime.timedelta(seconds=timeout))
        engine = Engine(rank, world, device)
    except Exception as e:
        traceback.print_exc()
        send(fout, ("error", f"rank {rank} could not start: {type(e).__name__}: {e}"))
        sys.exit(1)
    send(fout, ("ok", torch.__version__))
    while True:
        try:
            method, args = recv(fin)
        except EOFError:
            return
        try:
            reply = ("ok", getattr(engine, method)(*args))
        except CheckpointError as e:  # a problem of the input: its message says all
            reply = ("bad input", str(e))
        except Exception as e:
            traceback.print_exc()
            reply = ("error", f"{type(e).__name__}: {e}")
        try:
            send(fout, reply)
        except OSError:  # the plugin closed the pipe: it is shutting down
            return


if __name__ == "__main__":
    main()
