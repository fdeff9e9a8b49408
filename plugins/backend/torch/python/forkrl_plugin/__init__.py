"""Scaffolding for forkrl plugins written in Python.

A plugin subclasses Plugin (its name, version, kinds, settings schema and
Configure), writes the methods of its kind's service, and calls serve():

    class Top(forkrl_plugin.Plugin):
        name, version, kinds = "my-selector", "0.1.0", ["selector"]
        def schema(self, kind): return [attribute("rho", "number", "fraction kept", default=0.2)]
        def configure(self, kind, settings, seed, dir): ...; return []   # diagnostics
        def Select(self, request): ...                                    # forkrl.v1.Selector

    forkrl_plugin.serve(Top(), {"forkrl.v1.Selector": selector_pb2})

serve() speaks hashicorp/go-plugin's gRPC protocol as framework/proto/doc.go
describes: it refuses to run unless the host started it, listens on a unix
socket in the directory the host names, serves forkrl.v1.Plugin, the kinds'
services, grpc.health.v1 and go-plugin's controller (Shutdown), prints the one
handshake line on stdout and points stdout at stderr before anything else can
print; it maps the shared memory the host passed, if any. Messages of up to 2
GiB are accepted. A method that raises answers with
an INTERNAL status whose message names the exception, and its traceback goes
to stderr, which the host logs under the plugin's name.

Per-token values travel as Ragged tensors: ragged() and unragged() convert
them from and to numpy arrays. When the host passes a shared-memory region
(framework/plugin/shm.go describes it), tensors of SHARED_MIN_BYTES or more
cross through it instead of inside the gRPC messages: tensor() writes a
response's large tensors there, from_tensor() copies a request's out (during
the call: a request's blocks are freed when its method returns).
"""

import fcntl
import json
import mmap
import os
import signal
import struct
import sys
import tempfile
import threading
import traceback
from concurrent import futures

import numpy as np

_here = os.path.dirname(os.path.abspath(__file__))
if os.path.dirname(_here) not in sys.path:  # the generated forkrl.v1 code lies beside this package
    sys.path.insert(0, os.path.dirname(_here))

import grpc  # noqa: E402

from forkrl.v1 import plugin_pb2  # noqa: E402

PROTOCOL_VERSION = 1
"""The forkrl plugin protocol version (framework/pluginapi.ProtocolVersion)."""

MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE = "FORKRL_PLUGIN", "forkrl-plugin-protocol"
MAX_MESSAGE_BYTES = 2**31 - 1

_NUMPY_DTYPES = {
    plugin_pb2.DTYPE_FLOAT32: np.dtype("<f4"),
    plugin_pb2.DTYPE_FLOAT64: np.dtype("<f8"),
    plugin_pb2.DTYPE_INT32: np.dtype("<i4"),
    plugin_pb2.DTYPE_INT64: np.dtype("<i8"),
    plugin_pb2.DTYPE_BOOL: np.dtype("u1"),
}
_PROTO_DTYPES = {v: k for k, v in _NUMPY_DTYPES.items()}


class BadRequest(Exception):
    """A request the plugin cannot serve; its message becomes an error diagnostic."""


SHARED_MIN_BYTES = 1 << 20
"""The smallest tensor that crosses through shared memory (framework/plugin's sharedMinBytes)."""

_ALIGN, _MAGIC, _LAYOUT = 64, b"forkrlsm", 1


class SharedMemory:
    """The plugin's side of the region the host passed: the host's half
    (requests) first, the plugin's half (responses) second. Blocks of the
    plugin's half are allocated first fit and are free again once the host
    has zeroed their state word, after copying them out."""

    def __init__(self, fd):
        try:
            size = os.fstat(fd).st_size
            if not fcntl.fcntl(fd, fcntl.F_GET_SEALS) & fcntl.F_SEAL_SHRINK:
                raise OSError("the region is not sealed against shrinking")
            if size % 2 or size < 8 * _ALIGN:
                raise OSError(f"the region has an odd or tiny size, {size} bytes")
            self.mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)  # the mapping keeps its own descriptor, which children do not inherit
        self.half = size // 2
        self.peer, self.own = 0, self.half
        if self.mm[:8] != _MAGIC or struct.unpack_from("<I", self.mm, 8)[0] != _LAYOUT:
            raise OSError("the host's half has no forkrl header of layout 1")
        self.lock = threading.Lock()
        self.blocks = []  # (offset, size) of the taken blocks of the plugin's half, by offset
        self.local = threading.local()  # the blocks a call in progress took
        struct.pack_into("<I", self.mm, self.own + 8, _LAYOUT)
        self.mm[self.own:self.own + 8] = _MAGIC  # the magic last: the host then sees the layout too

    def put(self, arrays):
        """Copies contiguous arrays, one after the other, into a new block;
        returns its data's offset in the plugin's half, or None when the half
        has no room."""
        n = sum(a.nbytes for a in arrays)
        size = _ALIGN + -(-n // _ALIGN) * _ALIGN
        with self.lock:
            self.blocks = [b for b in self.blocks if struct.unpack_from("<I", self.mm, self.own + b[0])[0] != 0]
            at, i = _ALIGN, 0
            while i < len(self.blocks) and self.blocks[i][0] - at < size:
                at = self.blocks[i][0] + self.blocks[i][1]
                i += 1
            if at + size > self.half:
                return None
            self.blocks.insert(i, (at, size))
            head = self.own + at
            struct.pack_into("<Q", self.mm, head + 8, n)
            struct.pack_into("<I", self.mm, head, 1)
        taken = getattr(self.local, "taken", None)
        if taken is not None:
            taken.append(head)
        at_data = head + _ALIGN
        for a in arrays:
            if a.nbytes:
                np.frombuffer(self.mm, np.uint8, a.nbytes, at_data)[:] = a.reshape(-1).view(np.uint8)
                at_data += a.nbytes
        return at + _ALIGN

    def _head(self, ref):
        """The block header of ref in the host's half, checked."""
        off, n = ref.offset, ref.length
        if off < 2 * _ALIGN or off % _ALIGN or off > self.half or n > self.half - off:
            raise BadRequest(f"shared tensor data of {n} bytes at offset {off} lies outside the {self.half}-byte region or off its 64-byte grid")
        head = self.peer + off - _ALIGN
        have = struct.unpack_from("<Q", self.mm, head + 8)[0]
        if have != n:
            raise BadRequest(f"shared tensor data at offset {off}: the message says {n} bytes, its block holds {have}")
        return head

    def read(self, ref, dtype, count):
        """Returns a copy of the count elements of dtype that ref locates in the host's half."""
        head = self._head(ref)
        if struct.unpack_from("<I", self.mm, head)[0] != 1:
            raise BadRequest(f"shared tensor data at offset {ref.offset} is not in a taken block (already freed)")
        return np.frombuffer(self.mm, dtype, count, head + _ALIGN).copy()

    def begin(self):
        """Starts tracking the blocks that this thread's call takes."""
        self.local.taken = []

    def end(self, request, ok):
        """Frees the host's blocks that request named and, when the call
        failed (its response is never sent), the blocks it took."""
        freed = set()
        for t in _tensors(request):
            if t.HasField("shared") and t.shared.offset not in freed:
                freed.add(t.shared.offset)
                try:
                    head = self._head(t.shared)
                except BadRequest:
                    continue
                struct.pack_into("<I", self.mm, head, 0)
        for head in self.local.taken if not ok else ():
            struct.pack_into("<I", self.mm, head, 0)
        self.local.taken = None


_shared = None
"""The region the host passed, once serve() has mapped it."""


def _attach(name):
    """Maps the region that the host names in the environment, if any."""
    global _shared
    fd = os.environ.pop("FORKRL_PLUGIN_SHM_FD", None)  # the plugin's own children must not see it
    if fd is None:
        return
    try:
        _shared = SharedMemory(int(fd))
    except (OSError, ValueError) as e:
        print(f"{name}: cannot map the host's shared memory ({e}); sending tensors inline", file=sys.stderr)


_TENSOR = plugin_pb2.Tensor.DESCRIPTOR.full_name
_tensor_fields_of = {}


def _reaches_tensor(d, seen):
    if d.full_name == _TENSOR:
        return True
    if d.full_name in seen:
        return False
    seen.add(d.full_name)
    return any(f.message_type is not None and not f.message_type.GetOptions().map_entry and _reaches_tensor(f.message_type, seen)
               for f in d.fields)


def _tensor_fields(d):
    """The (name, repeated) of the message fields of d through which a tensor can be reached."""
    fields = _tensor_fields_of.get(d.full_name)
    if fields is None:
        fields = [(f.name, f.label == f.LABEL_REPEATED) for f in d.fields
                  if f.message_type is not None and not f.message_type.GetOptions().map_entry and _reaches_tensor(f.message_type, set())]
        _tensor_fields_of[d.full_name] = fields
    return fields


def _tensors(msg):
    """Yields the forkrl.v1.Tensor messages inside msg."""
    if msg.DESCRIPTOR.full_name == _TENSOR:
        yield msg
        return
    for name, repeated in _tensor_fields(msg.DESCRIPTOR):
        if repeated:
            for m in getattr(msg, name):
                yield from _tensors(m)
        elif msg.HasField(name):
            yield from _tensors(getattr(msg, name))


def _wire(array):
    """array as a contiguous little-endian array of a wire dtype."""
    a = np.ascontiguousarray(array)
    if a.dtype == np.bool_:
        a = a.astype("u1")
    a = a.astype(a.dtype.newbyteorder("<"), copy=False)
    if a.dtype not in _PROTO_DTYPES:
        raise TypeError(f"no forkrl tensor type for numpy {a.dtype}")
    return a


def _shared_tensor(arrays, shape):
    """A forkrl.v1.Tensor of the arrays, one after the other, in shared
    memory; None when they are small or there is no room."""
    n = sum(a.nbytes for a in arrays)
    if _shared is None or n < SHARED_MIN_BYTES:
        return None
    off = _shared.put(arrays)
    if off is None:
        return None
    return plugin_pb2.Tensor(dtype=_PROTO_DTYPES[arrays[0].dtype], shape=shape, shared=plugin_pb2.Shared(offset=off, length=n))


def tensor(array):
    """Returns a forkrl.v1.Tensor holding a numpy array, for a response: a
    large one goes into shared memory when the host passed a region."""
    a = _wire(array)
    return _shared_tensor([a], list(a.shape)) or plugin_pb2.Tensor(dtype=_PROTO_DTYPES[a.dtype], shape=list(a.shape), data=a.tobytes())


def from_tensor(t, want=None):
    """Returns the numpy array of a forkrl.v1.Tensor (want: the numpy dtype it must have)."""
    if t.dtype not in _NUMPY_DTYPES:
        raise BadRequest(f"tensor has an unknown dtype {t.dtype}")
    dt = _NUMPY_DTYPES[t.dtype]
    if want is not None and dt != np.dtype(want).newbyteorder("<"):
        raise BadRequest(f"tensor has dtype {plugin_pb2.DType.Name(t.dtype)}, want {np.dtype(want)}")
    if any(d < 0 for d in t.shape):
        raise BadRequest(f"tensor has a negative dimension in shape {list(t.shape)}")
    n = int(np.prod(t.shape)) if len(t.shape) else 1
    if t.HasField("shared"):
        if t.data:
            raise BadRequest("a tensor has both inline and shared data")
        if _shared is None:
            raise BadRequest("tensor data is in shared memory, but this plugin has none")
        if t.shared.length != n * dt.itemsize:
            raise BadRequest(f"tensor of shape {list(t.shape)} has {t.shared.length} bytes, want {n * dt.itemsize}")
        return _shared.read(t.shared, dt, n).reshape(tuple(t.shape))
    if len(t.data) != n * dt.itemsize:
        raise BadRequest(f"tensor of shape {list(t.shape)} has {len(t.data)} bytes, want {n * dt.itemsize}")
    return np.frombuffer(t.data, dtype=dt).reshape(tuple(t.shape))


def ragged(rows, dtype):
    """Returns a forkrl.v1.Ragged of rows (sequences of numbers) as dtype.
    Large rows go into shared memory as they are, without being gathered
    into one array first."""
    lengths = [len(r) for r in rows]
    arrays = [_wire(np.asarray(r, dtype=dtype)) for r in rows]
    values = arrays and _shared_tensor(arrays, [sum(lengths)])
    if not values:
        values = tensor(np.concatenate(arrays) if arrays else np.zeros(0, dtype))
    return plugin_pb2.Ragged(values=values, lengths=lengths)


def unragged(r, dtype):
    """Returns the rows of a forkrl.v1.Ragged as numpy arrays of dtype; an absent Ragged gives None."""
    if r is None or (not r.lengths and not r.HasField("values")):
        return None
    flat = from_tensor(r.values, dtype) if r.HasField("values") else np.zeros(0, dtype)
    if flat.ndim != 1:
        raise BadRequest(f"ragged values must be one-dimensional, got shape {list(flat.shape)}")
    if any(n < 0 for n in r.lengths) or sum(r.lengths) != len(flat):
        raise BadRequest(f"ragged lengths sum to {sum(r.lengths)}, the values hold {len(flat)}")
    bounds = np.cumsum([0] + list(r.lengths))
    return [flat[bounds[i]:bounds[i + 1]] for i in range(len(r.lengths))]


def diagnostic(summary, detail="", attribute="", warning=False):
    """Returns a forkrl.v1.Diagnostic (an error unless warning)."""
    return plugin_pb2.Diagnostic(
        severity=plugin_pb2.SEVERITY_WARNING if warning else plugin_pb2.SEVERITY_ERROR,
        summary=summary, detail=detail, attribute=attribute)


def has_errors(diags):
    return any(d.severity == plugin_pb2.SEVERITY_ERROR for d in diags)


def attribute(name, type, description, default=None, required=False, enum=(), min=None, max=None):
    """Returns one forkrl.v1.Attribute of a settings schema."""
    a = plugin_pb2.Attribute(name=name, type=type, description=description, required=required, enum=list(enum))
    if default is not None:
        a.default_json = json.dumps(default)
    if min is not None:
        a.min = min
    if max is not None:
        a.max = max
    return a


def resolve(schema, settings):
    """Checks settings against a schema (unknown names, types, enums, ranges,
    required ones) and returns (values with defaults filled in, diagnostics)."""
    diags, out = [], {}
    names = {a.name for a in schema}
    for name in settings:
        if name not in names:
            diags.append(diagnostic(f"unknown setting {name!r}", "known settings: " + ", ".join(sorted(names)), name))
    for a in schema:
        if a.name not in settings:
            if a.required:
                diags.append(diagnostic(f"the setting {a.name!r} is required", a.description, a.name))
            out[a.name] = json.loads(a.default_json) if a.default_json else None
            continue
        v = settings[a.name]
        ok = {"number": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
              "string": lambda x: isinstance(x, str), "path": lambda x: isinstance(x, str),
              "bool": lambda x: isinstance(x, bool)}.get(a.type, lambda x: True)(v)
        if not ok:
            diags.append(diagnostic(f"must be a {a.type}, got {json.dumps(v)}", a.description, a.name))
        elif a.enum and v not in a.enum:
            diags.append(diagnostic(f"must be one of {', '.join(a.enum)}, got {v!r}", a.description, a.name))
        elif a.type == "number" and ((a.HasField("min") and v < a.min) or (a.HasField("max") and v > a.max)):
            diags.append(diagnostic(f"must be between {a.min:g} and {a.max:g}, got {v:g}", a.description, a.name))
        out[a.name] = v
    return out, diags


class Plugin:
    """The base service of a plugin: Info and Configure. Subclasses set name,
    version, kinds and description and override schema and configure."""

    name, version, kinds, description = "", "0.0.0", [], ""

    def schema(self, kind):
        """The settings schema of one kind: a list of attribute() values."""
        return []

    def configure(self, kind, settings, seed, dir):
        """Sets the kind up from its settings (a dict); returns diagnostics."""
        return []

    def close(self):
        """Releases what the plugin holds (child processes); called before it exits."""

    def Info(self, req):
        kind = req.kind or (self.kinds[0] if self.kinds else "")
        if req.kind and req.kind not in self.kinds:
            raise BadRequest(f"this plugin serves {', '.join(self.kinds)}, not {req.kind}")
        return plugin_pb2.InfoResponse(name=self.name, version=self.version, protocol=PROTOCOL_VERSION,
                                       kinds=self.kinds, description=self.description,
                                       settings=plugin_pb2.Schema(attributes=self.schema(kind)))

    def Configure(self, req):
        if req.kind not in self.kinds:
            return plugin_pb2.ConfigureResponse(diagnostics=[diagnostic(f"this plugin serves {', '.join(self.kinds)}, not {req.kind!r}")])
        try:
            settings = json.loads(req.settings_json or "{}")
        except ValueError as e:
            return plugin_pb2.ConfigureResponse(diagnostics=[diagnostic(f"settings are not JSON: {e}")])
        return plugin_pb2.ConfigureResponse(diagnostics=self.configure(req.kind, settings, req.seed, req.dir))


def _unary(impl, method, req_cls, resp_cls):
    def call(request, context):
        shared, ok = _shared, False
        if shared is not None:
            shared.begin()
        try:
            response = getattr(impl, method)(request)
            ok = True
            return response
        except BadRequest as e:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        except Exception as e:  # the host's error names the plugin and the call; the traceback goes to the log
            traceback.print_exc(file=sys.stderr)
            context.abort(grpc.StatusCode.INTERNAL, f"{type(e).__name__}: {e}")
        finally:
            if shared is not None:
                shared.end(request, ok)
    return grpc.unary_unary_rpc_method_handler(call, request_deserializer=req_cls.FromString,
                                               response_serializer=resp_cls.SerializeToString)


def _service_handler(impl, module, service):
    """The handler of one service of a generated module (whose request and
    response messages it holds), calling impl's methods by name."""
    desc = module.DESCRIPTOR.services_by_name[service.split(".")[-1]]
    return grpc.method_handlers_generic_handler(service, {
        m.name: _unary(impl, m.name, getattr(module, m.input_type.name), getattr(module, m.output_type.name))
        for m in desc.methods})


def _raw_handler(service, methods):
    """A handler for a service whose messages are encoded by hand (health, controller)."""
    ident = lambda b: b  # noqa: E731
    return grpc.method_handlers_generic_handler(service, {
        name: grpc.unary_unary_rpc_method_handler(f, request_deserializer=ident, response_serializer=ident)
        for name, f in methods.items()})


def serve(plugin, services):
    """Serves plugin as a forkrl plugin until the host stops it. services maps
    each kind's service name ("forkrl.v1.Backend") to its generated module;
    plugin implements its methods by name."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print(f"{plugin.name}: this is a forkrl plugin; name it in a recipe rather than running it by hand", file=sys.stderr)
        sys.exit(2)
    handshake = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever prints to stdout from now on goes to the log
    sys.stdout = sys.stderr
    _attach(plugin.name)
    sock_dir = os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or tempfile.mkdtemp(prefix="forkrl-plugin-")
    path = os.path.join(sock_dir, f"plugin-{os.getpid()}.sock")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES), ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)])
    stop = threading.Event()

    def health(req):  # grpc.health.v1.HealthCheckResponse{status: SERVING}
        return b"\x08\x01"

    def shutdown(req):  # plugin.GRPCController/Shutdown: answer, then exit
        stop.set()
        return b""

    handlers = [_service_handler(plugin, plugin_pb2, "forkrl.v1.Plugin"),
                _raw_handler("grpc.health.v1.Health", {"Check": lambda req, ctx: health(req)}),
                _raw_handler("plugin.GRPCController", {"Shutdown": lambda req, ctx: shutdown(req)})]
    handlers += [_service_handler(plugin, module, name) for name, module in services.items()]
    server.add_generic_rpc_handlers(handlers)
    server.add_insecure_port("unix:" + path)
    server.start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    handshake.write(f"1|{PROTOCOL_VERSION}|unix|{path}|grpc|\n")
    handshake.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        plugin.close()
        server.stop(0.5)
        try:
            os.unlink(path)
        except OSError:
            pass
