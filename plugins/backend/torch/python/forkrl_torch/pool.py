"""The worker processes of the torch backend, seen from the plugin process.

Pool starts world_size workers (worker.py) with the configured Python, sends
each its share of a request and gathers the replies in rank order. Every
wait is bounded: a worker that exits, or does not answer within the timeout,
stops the whole pool with an error that names the rank, the call and the
cause, quoting the worker's last lines on stderr. Workers die with the plugin
process (Linux's parent-death signal, and the end of their request pipe).
"""

import collections
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from forkrl_torch.worker import recv, send

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class WorkerError(Exception):
    """A worker failed: it died, timed out, could not start, or refused its
    input (bad_input: a checkpoint that does not fit, say)."""

    def __init__(self, message, bad_input=False):
        super().__init__(message)
        self.bad_input = bad_input


class Pool:
    def __init__(self, python, world, device, timeout, start_timeout=300):
        self.python, self.world, self.timeout = python, world, timeout
        self.key = (python, world, device, timeout)
        self.procs, self.pipes, self.tails, self.broken = [], [], [], None
        self.tmp = tempfile.mkdtemp(prefix="forkrl-torch-")
        init = "file://" + os.path.join(self.tmp, "rendezvous")
        env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
        if device == "cpu":
            env.setdefault("GLOO_SOCKET_IFNAME", "lo")
            env.setdefault("CUDA_VISIBLE_DEVICES", "")
        for name in ("FORKRL_PLUGIN", "PLUGIN_UNIX_SOCKET_DIR", "PLUGIN_PROTOCOL_VERSIONS"):
            env.pop(name, None)
        for rank in range(world):
            req_r, req_w = os.pipe()
            rep_r, rep_w = os.pipe()
            args = [python, "-m", "forkrl_torch.worker", str(rank), str(world), init, str(timeout), device, str(req_r), str(rep_w)]
            try:
                proc = subprocess.Popen(args, env=env, pass_fds=(req_r, rep_w), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            except OSError as e:
                for fd in (req_r, req_w, rep_r, rep_w):
                    os.close(fd)
                self.close()
                raise WorkerError(f"cannot start the worker with python {python!r}: {e.strerror or e}") from e
            os.close(req_r)
            os.close(rep_w)
            self.procs.append(proc)
            self.pipes.append((os.fdopen(req_w, "wb"), os.fdopen(rep_r, "rb")))
            tail = collections.deque(maxlen=20)
            self.tails.append(tail)
            threading.Thread(target=_relay, args=(proc.stdout, rank, tail), daemon=True).start()
        self.gather("start", start_timeout)

    def call(self, method, per_rank):
        """Sends method(*per_rank[r]) to every rank r and returns the replies in rank order."""
        if self.broken:
            raise WorkerError(f"the workers were stopped earlier: {self.broken}")
        try:
            for rank, (w, _) in enumerate(self.pipes):
                try:
                    send(w, (method, per_rank[rank]))
                except BrokenPipeError:
                    self._fail(rank, method)
            return self.gather(method, self.timeout)
        except (ValueError, OSError) as e:  # the pipes were closed under the call
            if self.broken:
                raise WorkerError(f"the workers were stopped during {method}: {self.broken}") from None
            raise

    def gather(self, method, timeout):
        deadline = time.monotonic() + timeout
        replies, errors, bad_input = [None] * self.world, [], False
        for rank, (_, r) in enumerate(self.pipes):
            while True:
                ready, _, _ = select.select([r], [], [], min(0.5, max(0.0, deadline - time.monotonic())))
                if ready:
                    break
                if self.procs[rank].poll() is not None:
                    self._fail(rank, method)
                if time.monotonic() > deadline:
                    self.stop(f"rank {rank} did not answer {method} within {timeout:g} s")
                    raise WorkerError(f"worker rank {rank} did not answer {method} within {timeout:g} s (the worker_timeout setting); the workers were stopped{self._tail(rank)}")
            try:
                status, value = recv(r)
            except (EOFError, OSError):
                self._fail(rank, method)
            if status != "ok":
                errors.append(f"rank {rank}: {value}" if self.world > 1 and status == "error" else value)
                bad_input = bad_input or status == "bad input"
            replies[rank] = value
        if errors:
            if method == "start":
                self.close()
            raise WorkerError("; ".join(dict.fromkeys(errors)), bad_input)
        return replies

    def _fail(self, rank, method):
        proc = self.procs[rank]
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        how = "closed its pipe" if code is None else (f"was killed by signal {-code}" if code < 0 else f"exited with code {code}")
        what = f"worker rank {rank} (pid {proc.pid}) {how} during {method}"
        self.stop(what)
        raise WorkerError(what + "; the workers were stopped" + self._tail(rank))

    def _tail(self, rank):
        time.sleep(0.1)  # let the relay read the last lines
        lines = list(self.tails[rank])
        return ("; its last lines on stderr: " + " | ".join(lines[-5:])) if lines else ""

    def stop(self, why):
        """Stops every worker; later calls fail saying why."""
        self.broken = why
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
        for proc in self.procs:
            proc.wait()

    def close(self):
        """Ends the workers: their request pipes close, then any left are killed."""
        self.broken = self.broken or "the plugin is shutting down"
        for w, r in self.pipes:
            for f in (w, r):
                try:
                    f.close()
                except OSError:
                    pass
        deadline = time.monotonic() + 2
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _relay(pipe, rank, tail):
    """Copies a worker's output to the plugin's stderr, prefixed with its rank, keeping its last lines."""
    for raw in iter(pipe.readline, b""):
        line = raw.decode(errors="replace").rstrip("\n")
        tail.append(line)
        print(f"[rank {rank}] {line}", file=sys.stderr, flush=True)
