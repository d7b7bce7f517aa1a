"""The language the trusted grader and an isolated worker speak: shared objects kept in sync at every call.

A test in the trusted process calls student code that runs in a worker
process (grader/grading/worker.py). Whatever crosses is encoded here as a
tree of tuples, lists, strings and numbers plus a list of tensors, written
with ``torch.save`` and read back with ``torch.load(weights_only=True)``:
torch's restricted unpickler, which builds tensors and plain containers and
nothing else, so a hostile worker cannot make the grader run code by what
it sends (ARCHITECTURE.md: data back from a worker is never unpickled).

Sharing, not copying. Python objects that code changes in place keep one
identity on each side and are synchronised at every message:

- tensors (data, ``.grad``, ``requires_grad``): an optimizer made in the
  worker over a test's parameters steps them, and the test sees the new
  values; a test that sets ``parameter.grad`` before ``optimizer.step()``
  changes the worker's twin as well;
- lists, dicts and sets: ``optimizer.param_groups[0]["lr"] = 0.1`` in a test
  reaches the student's optimizer; the ``vocab`` dict a PairIndex was given
  is the test's dict;
- ``torch.Generator`` states: the draws a student's ``get_batch`` took are
  missing from the test's generator too;
- objects of the test's side (a tiny model from tests/stand_ins.py, torch's
  own optimizers) are rebuilt in the worker from their class, with their
  ``__dict__`` shared like any dict: ``model.training`` is the same flag on
  both sides.

Anything else the worker has (a student's module, class, function, or an
object of its making) crosses as a *reference*: the trusted side holds a
proxy that forwards every use (grader/grading/remote.py). The trusted side
never rebuilds an object of the worker's choosing, and it never imports a
name the worker sends.

Change detection is cheap: tensors by their version counter and gradient,
containers by a shallow snapshot of their items. Each peer keeps its shared
objects in a table by *wire id* (even ids made by the trusted side, odd
ones by the worker) until ``reset`` at the end of each test.

Message framing: an 8-byte length, then the bytes; a message above the
agreed limit is refused before it is read.
"""

from __future__ import annotations

import collections
import collections.abc
import functools
import importlib
import json
import math
import operator
import os
import pathlib
import struct
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

MESSAGE_LIMIT = 128 * 2**20
"""Largest message either side accepts (bytes): a worker cannot make the grader read gigabytes."""

# Modules whose functions and classes the trusted side may name in what it sends: the worker imports them.
SHAREABLE_MODULES = ("torch", "numpy", "builtins", "types", "collections", "math", "functools", "tests.stand_ins")

_HEADER = struct.Struct("<QQ")


class WireError(Exception):
    """A message that breaks the protocol: too big, truncated, not a tree this module writes."""


class NotShareable(TypeError):
    """A value the trusted side cannot hand to isolated code (a lambda, an object of a test module)."""


# ---------------------------------------------------------------------------
# Framing
# ---------------------------------------------------------------------------


def send_message(fd: int, message: dict[str, Any], tensors: Sequence[torch.Tensor] = ()) -> None:
    """Write ``message`` (JSON types) and ``tensors`` (their raw bytes) to ``fd``, lengths first."""
    layouts, blobs, offset = [], [], 0
    for tensor in tensors:
        data = b"" if tensor.device.type == "meta" else _raw_bytes(tensor)
        layouts.append([str(tensor.dtype).removeprefix("torch."), list(tensor.shape), tensor.device.type, offset, len(data)])
        blobs.append(data)
        offset += len(data)
    text = json.dumps({"message": message, "tensors": layouts}, separators=(",", ":"), allow_nan=True).encode()
    data = memoryview(b"".join([_HEADER.pack(len(text), offset), text, *blobs]))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _raw_bytes(tensor: torch.Tensor) -> bytes:
    """The tensor's elements as bytes, in row-major order (any dtype, through a uint8 view)."""
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy().tobytes()


def read_exactly(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd``; WireError when the other end closes first."""
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, min(remaining, 2**20))
        if not chunk:
            raise WireError(f"the other end closed the pipe with {remaining} of {size} bytes unread")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int, *, read: Callable[[int, int], bytes] = read_exactly) -> tuple[dict[str, Any], list[torch.Tensor]]:
    """The next message on ``fd`` and its tensors: JSON, and tensors rebuilt from raw bytes by dtype and shape.

    Raises:
        WireError: a length over MESSAGE_LIMIT, a stream that ends early, or bytes that are no message.
    """
    text_size, blob_size = _HEADER.unpack(read(fd, _HEADER.size))
    if text_size + blob_size > MESSAGE_LIMIT:
        raise WireError(f"a message of {text_size + blob_size} bytes is over the limit of {MESSAGE_LIMIT}")
    try:
        frame = json.loads(read(fd, text_size))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise WireError(f"unreadable message: {error}") from None
    blob = read(fd, blob_size)
    if not isinstance(frame, dict) or not isinstance(frame.get("message"), dict) or not isinstance(frame.get("tensors"), list):
        raise WireError("a message must be an object with 'message' and 'tensors'")
    return frame["message"], [_tensor_of(layout, blob) for layout in frame["tensors"]]


def _tensor_of(layout: Any, blob: bytes) -> torch.Tensor:
    """One tensor of a message from its layout ``[dtype, shape, device, offset, size]`` and the message's bytes."""
    try:
        dtype_name, shape, device, offset, size = layout
        dtype = getattr(torch, str(dtype_name))
        shape = [int(dimension) for dimension in shape]
        offset, size = int(offset), int(size)
    except (TypeError, ValueError, AttributeError) as error:
        raise WireError(f"bad tensor layout {layout!r}: {error}") from None
    if not isinstance(dtype, torch.dtype) or device not in ("cpu", "meta", "cuda") or min(shape, default=0) < 0:
        raise WireError(f"bad tensor layout {layout!r}")
    if device == "meta":
        return torch.empty(shape, dtype=dtype, device="meta")
    count = math.prod(shape)
    itemsize = torch.empty((), dtype=dtype).element_size()
    if size != count * itemsize or offset < 0 or offset + size > len(blob):
        raise WireError(f"tensor layout {layout!r} does not match the bytes sent")
    if count == 0:
        tensor = torch.empty(shape, dtype=dtype)
    else:
        tensor = torch.frombuffer(bytearray(blob[offset : offset + size]), dtype=dtype).reshape(shape)
    return tensor.to(device) if device == "cuda" and torch.cuda.is_available() else tensor


# ---------------------------------------------------------------------------
# Shared objects
# ---------------------------------------------------------------------------

_DICT_KINDS = {dict: "dict", collections.OrderedDict: "OrderedDict", collections.Counter: "Counter", collections.defaultdict: "defaultdict"}
_DICT_TYPES = {name: kind for kind, name in _DICT_KINDS.items()}
_DEFAULT_FACTORIES = {"int": int, "float": float, "list": list, "dict": dict, "set": set, "str": str}
_PRIMITIVES = (type(None), bool, int, float, str, bytes)
_CODE_TYPES = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.ModuleType, functools.partial)


class Peer:
    """One side's table of shared objects and how to write and read them.

    ``side`` is ``"trusted"`` or ``"worker"``. The trusted side turns a value
    it cannot share into NotShareable, the worker into a reference
    (``export``); the trusted side reads references with ``make_proxy``.
    """

    def __init__(self, side: str, *, make_proxy: Callable[[int, str, list[str]], Any] | None = None) -> None:
        if side not in ("trusted", "worker"):
            raise ValueError(f"side must be 'trusted' or 'worker', got {side!r}")
        self.side = side
        self.make_proxy = make_proxy
        self.reset()

    def reset(self) -> None:
        """Forget every shared object (the end of a test)."""
        self.objects: dict[int, Any] = {}
        """wire id -> the local object."""
        self.kinds: dict[int, str] = {}
        """wire id -> "tensor", "list", "dict", "set", "generator", "object" or "ref"."""
        self.wire_ids: dict[int, int] = {}
        """id() of a local object -> its wire id."""
        self.snapshots: dict[int, Any] = {}
        self.touched: set[int] = set()
        """Objects new, updated or reported since the last ``settle``: the only snapshots to take again."""
        self._next = 0 if self.side == "trusted" else 1

    # ------------------------------------------------------------ writing

    def encode(self, value: Any, tensors: list[torch.Tensor]) -> Any:
        """The node for ``value``; tensor payloads are appended to ``tensors``."""
        if isinstance(value, _PRIMITIVES):
            # A subclass (an IntEnum, a str subclass) crosses as its plain value.
            plain = value if type(value) in _PRIMITIVES else _plain(value)
            return ["bytes", plain.decode("latin-1")] if isinstance(plain, bytes) else plain
        known = self.wire_ids.get(id(value))
        if known is not None and self.objects.get(known) is value:
            return ["known", known]
        if isinstance(value, torch.Tensor):
            return self._encode_tensor(value, tensors)
        if isinstance(value, tuple) and type(value) is tuple:
            return ["tuple", [self.encode(item, tensors) for item in value]]
        if type(value) is list:
            wire_id = self._register(value, "list")
            return ["list", wire_id, [self.encode(item, tensors) for item in value]]
        if type(value) in _DICT_KINDS:
            wire_id = self._register(value, "dict")
            return ["dict", wire_id, *self._dict_contents(value, tensors)]
        if type(value) in (set, frozenset):
            if type(value) is frozenset:
                return ["frozenset", [self.encode(item, tensors) for item in value]]
            wire_id = self._register(value, "set")
            return ["set", wire_id, [self.encode(item, tensors) for item in value]]
        if isinstance(value, torch.Generator):
            wire_id = self._register(value, "generator")
            tensors.append(value.get_state())
            return ["generator", wire_id, len(tensors) - 1, str(value.device)]
        if isinstance(value, np.ndarray):
            tensors.append(torch.from_numpy(np.ascontiguousarray(value)).clone())
            return ["ndarray", len(tensors) - 1, str(value.dtype)]
        if isinstance(value, np.generic):
            item = value.item()
            return ["npscalar", str(value.dtype), ["complex", item.real, item.imag] if isinstance(item, complex) else item]
        if isinstance(value, torch.dtype):
            return ["dtype", str(value).removeprefix("torch.")]
        if isinstance(value, torch.device):
            return ["device", str(value)]
        if isinstance(value, torch.Size):
            return ["size", list(value)]
        if isinstance(value, slice):
            return ["slice", [self.encode(part, tensors) for part in (value.start, value.stop, value.step)]]
        if isinstance(value, range):
            return ["range", value.start, value.stop, value.step]
        if value is Ellipsis:
            return ["ellipsis"]
        if isinstance(value, complex):
            return ["complex", value.real, value.imag]
        if isinstance(value, pathlib.PurePath):
            return ["path", str(value)]
        if self.side == "trusted" and isinstance(value, collections.abc.Iterator):
            # A one-pass iterable (a generator expression) crosses as its items, to be read once over there.
            return ["iterator", [self.encode(item, tensors) for item in value]]
        return self._encode_other(value, tensors)

    def _encode_other(self, value: Any, tensors: list[torch.Tensor]) -> Any:
        if self.side == "worker":
            wire_id = self._register(value, "ref")
            kind = type(value)
            return ["ref", wire_id, f"{kind.__module__}.{kind.__qualname__}", [f"{base.__module__}.{base.__qualname__}" for base in kind.__mro__]]
        if _is_global(value):
            return ["global", *_global_name(value)]
        state = getattr(value, "__dict__", None)
        module = getattr(type(value), "__module__", "")
        if isinstance(value, _CODE_TYPES):
            raise NotShareable(
                f"cannot hand the function {getattr(value, '__qualname__', value)!r} to the isolated worker: "
                "only module-level functions of torch, numpy or the standard library cross"
            )
        if type(state) is not dict or not _shareable_module(module) or "<locals>" in type(value).__qualname__:
            raise NotShareable(
                f"cannot hand a {type(value).__qualname__} (from {module or 'an unknown module'}) to the isolated worker: "
                "only tensors, plain data, and objects of torch or tests/stand_ins.py cross"
            )
        wire_id = self._register(value, "object")
        return ["object", wire_id, module, type(value).__qualname__, self.encode(state, tensors)]

    def _encode_tensor(self, tensor: torch.Tensor, tensors: list[torch.Tensor]) -> Any:
        wire_id = self._register(tensor, "tensor")
        return ["tensor", wire_id, *self._tensor_payload(tensor, tensors)]

    def _tensor_payload(self, tensor: torch.Tensor, tensors: list[torch.Tensor]) -> tuple:
        tensors.append(tensor.detach().clone() if tensor.device.type != "meta" else tensor.detach())
        data_index = len(tensors) - 1
        grad_index = -1
        grad = tensor.grad if tensor.is_leaf else None  # torch warns on .grad of a non-leaf, which has none
        if grad is not None:
            tensors.append(grad.detach().clone())
            grad_index = len(tensors) - 1
        bridged = tensor.requires_grad and tensor.grad_fn is not None
        return data_index, grad_index, bool(tensor.requires_grad), isinstance(tensor, torch.nn.Parameter), bridged

    def _dict_contents(self, value: dict, tensors: list[torch.Tensor]) -> tuple:
        kind = _DICT_KINDS[type(value)]
        factory = None
        if kind == "defaultdict" and value.default_factory is not None:
            factory = next((name for name, made in _DEFAULT_FACTORIES.items() if made is value.default_factory), None)
            if factory is None:
                raise NotShareable(
                    f"cannot share a defaultdict whose default is {value.default_factory!r}: "
                    f"only {', '.join(_DEFAULT_FACTORIES)} are rebuilt on the other side"
                )
        items = [[self.encode(key, tensors), self.encode(item, tensors)] for key, item in value.items()]
        return kind, factory, items

    def _register(self, value: Any, kind: str) -> int:
        wire_id = self._next
        self._next += 2
        self.objects[wire_id] = value
        self.kinds[wire_id] = kind
        self.wire_ids[id(value)] = wire_id
        self.touched.add(wire_id)
        return wire_id

    # ------------------------------------------------------------ reading

    def decode(self, node: Any, tensors: list[torch.Tensor]) -> Any:
        """The local value for ``node`` (creating twins of new shared objects)."""
        if not isinstance(node, list):
            if isinstance(node, (type(None), bool, int, float, str)):
                return node
            raise WireError(f"unexpected {type(node).__name__} in a message")
        if not node or not isinstance(node[0], str):
            raise WireError("a node must start with its tag")
        tag = node[0]
        if tag == "known":
            return self._known(node[1])
        if tag == "bytes":
            return str(node[1]).encode("latin-1")
        if tag == "tuple":
            return tuple(self.decode(item, tensors) for item in node[1])
        if tag == "list":
            value: Any = []
            self._adopt(node[1], value, "list")
            value.extend(self.decode(item, tensors) for item in node[2])
            return value
        if tag == "dict":
            value = _new_dict(node[2], node[3])
            self._adopt(node[1], value, "dict")
            for key, item in node[4]:
                value[self.decode(key, tensors)] = self.decode(item, tensors)
            return value
        if tag == "set":
            value = set()
            self._adopt(node[1], value, "set")
            value.update(self.decode(item, tensors) for item in node[2])
            return value
        if tag == "frozenset":
            return frozenset(self.decode(item, tensors) for item in node[1])
        if tag == "tensor":
            tensor = _tensor_from(tensors, *node[2:6])
            self._adopt(node[1], tensor, "tensor")
            return tensor
        if tag == "generator":
            generator = torch.Generator(device=node[3])
            generator.set_state(_tensor_at(tensors, node[2]))
            self._adopt(node[1], generator, "generator")
            return generator
        if tag == "ndarray":
            return _tensor_at(tensors, node[1]).numpy().astype(np.dtype(node[2]), copy=False)
        if tag == "npscalar":
            return _numpy_scalar(node[1], node[2])
        if tag == "dtype":
            dtype = getattr(torch, str(node[1]), None)
            if not isinstance(dtype, torch.dtype):
                raise WireError(f"unknown dtype {node[1]!r}")
            return dtype
        if tag == "device":
            return torch.device(str(node[1]))
        if tag == "size":
            return torch.Size(int(size) for size in node[1])
        if tag == "slice":
            return slice(*(self.decode(part, tensors) for part in node[1]))
        if tag == "range":
            return range(int(node[1]), int(node[2]), int(node[3]))
        if tag == "ellipsis":
            return Ellipsis
        if tag == "complex":
            return complex(float(node[1]), float(node[2]))
        if tag == "path":
            return pathlib.Path(str(node[1]))
        if tag == "iterator":
            if self.side != "worker":
                raise WireError("only the trusted side sends iterators")
            return iter([self.decode(item, tensors) for item in node[1]])
        if tag == "ref":
            if self.side != "trusted" or self.make_proxy is None:
                raise WireError("only the worker sends references")
            proxy = self.make_proxy(int(node[1]), str(node[2]), [str(name) for name in node[3]])
            self._adopt(node[1], proxy, "ref")
            return proxy
        if tag in ("object", "global"):
            if self.side != "worker":
                raise WireError(f"the worker may not send {tag!r} nodes")
            return self._decode_trusted_object(node, tensors)
        raise WireError(f"unknown node {tag!r}")

    def _decode_trusted_object(self, node: tuple, tensors: list[torch.Tensor]) -> Any:
        if node[0] == "global":
            return _import_global(node[1], node[2])
        kind = _import_global(node[2], node[3])
        instance = kind.__new__(kind)
        self._adopt(node[1], instance, "object")
        state = node[4]
        if not (isinstance(state, list) and len(state) == 5 and state[0] == "dict"):
            raise WireError("an object's state must be a dict node")
        # The instance's own __dict__ becomes the shared twin of the test's, filled in place.
        namespace = instance.__dict__
        self._adopt(state[1], namespace, "dict")
        for key, item in state[4]:
            namespace[self.decode(key, tensors)] = self.decode(item, tensors)
        return instance

    def replace(self, wire_id: int, value: Any) -> None:
        """Let ``value`` stand for the shared object ``wire_id`` from now on (a tensor given an autograd history)."""
        old = self.objects[wire_id]
        self.wire_ids.pop(id(old), None)
        self.objects[wire_id] = value
        self.wire_ids[id(value)] = wire_id
        self.touched.add(wire_id)

    def _known(self, wire_id: Any) -> Any:
        if wire_id not in self.objects:
            raise WireError(f"unknown shared object {wire_id!r}")
        return self.objects[wire_id]

    def _adopt(self, wire_id: Any, value: Any, kind: str) -> None:
        if not isinstance(wire_id, int) or wire_id in self.objects:
            raise WireError(f"bad or reused wire id {wire_id!r}")
        mine = 0 if self.side == "trusted" else 1
        if wire_id % 2 == mine:
            raise WireError(f"wire id {wire_id} belongs to this side")
        self.objects[wire_id] = value
        self.kinds[wire_id] = kind
        self.wire_ids[id(value)] = wire_id
        self.touched.add(wire_id)

    # ------------------------------------------------------------ synchronising

    def settle(self) -> None:
        """Remember the state of every shared object that is new or changed since the last call: what
        ``changes`` compares with. (The others kept their state, or ``changes`` would have reported them.)"""
        for wire_id in self.touched:
            if wire_id in self.objects:
                self.snapshots[wire_id] = self._state(wire_id)
        self.touched.clear()

    def changes(self, tensors: list[torch.Tensor]) -> list[Any]:
        """Updates for every shared object changed since its snapshot: ``[(wire id, node), ...]``."""
        updates = []
        for wire_id in list(self.objects):
            kind = self.kinds[wire_id]
            # Objects new in this message travel whole, inline; references and rebuilt objects have no state of their own.
            if kind in ("ref", "object") or wire_id not in self.snapshots or self._unchanged(wire_id):
                continue
            value = self.objects[wire_id]
            self.touched.add(wire_id)
            if kind == "tensor":
                updates.append([wire_id, ["tensor", wire_id, *self._tensor_payload(value, tensors)]])
            elif kind == "generator":
                tensors.append(value.get_state())
                updates.append([wire_id, ["generator", wire_id, len(tensors) - 1, str(value.device)]])
            elif kind == "list":
                updates.append([wire_id, ["list", wire_id, [self.encode(item, tensors) for item in value]]])
            elif kind == "dict":
                updates.append([wire_id, ["dict", wire_id, *self._dict_contents(value, tensors)]])
            else:
                updates.append([wire_id, ["set", wire_id, [self.encode(item, tensors) for item in value]]])
        return updates

    def apply(self, updates: list[Any], tensors: list[torch.Tensor]) -> None:
        """Bring the shared objects to the other side's state (``changes`` of the other peer)."""
        for wire_id, node in updates:
            value = self._known(wire_id)
            kind = self.kinds[wire_id]
            self.touched.add(wire_id)
            if kind == "tensor":
                _update_tensor(value, tensors, *node[2:6])
            elif kind == "generator":
                value.set_state(_tensor_at(tensors, node[2]))
            elif kind == "list":
                value[:] = [self.decode(item, tensors) for item in node[2]]
            elif kind == "dict":
                items = [(self.decode(key, tensors), self.decode(item, tensors)) for key, item in node[4]]
                value.clear()
                value.update(items)
            elif kind == "set":
                items = [self.decode(item, tensors) for item in node[2]]
                value.clear()
                value.update(items)
            else:
                raise WireError(f"shared object {wire_id} of kind {kind} takes no updates")

    def _state(self, wire_id: int) -> Any:
        """What ``changes`` compares: a tensor's version counters and layout, a generator's state, or
        the objects a container holds (references, so that none is freed and its id reused)."""
        value, kind = self.objects[wire_id], self.kinds[wire_id]
        if kind == "tensor":
            grad = value.grad if value.is_leaf else None
            return (grad, (value._version, value.requires_grad, grad._version if grad is not None else None, value.shape, value.dtype))
        if kind == "generator":
            return bytes(value.get_state().numpy())
        if kind == "dict":
            return [*value.keys(), *value.values()]
        if kind in ("list", "set"):
            return list(value)
        return None

    def _unchanged(self, wire_id: int) -> bool:
        """Whether a shared object still has its snapshot's state. Containers compare their items by
        identity, at C speed: an item replaced by an equal one reads as a change (sent again, harmless)."""
        before, now, kind = self.snapshots[wire_id], self._state(wire_id), self.kinds[wire_id]
        if kind in ("list", "dict", "set"):
            return len(before) == len(now) and all(map(operator.is_, before, now))
        if kind == "tensor":
            return before[0] is now[0] and before[1] == now[1]
        return before == now


def _plain(value: Any) -> Any:
    """A subclass of a primitive (an IntEnum, a str subclass) as its primitive value."""
    return next(kind(value) for kind in (bool, int, float, str, bytes) if isinstance(value, kind))


def _numpy_scalar(dtype_name: Any, value: Any) -> np.generic:
    """A numpy scalar of a numeric dtype (bool, integers, floats, complex) from its JSON value."""
    try:
        dtype = np.dtype(str(dtype_name))
    except TypeError:
        raise WireError(f"unknown numpy dtype {dtype_name!r}") from None
    if dtype.kind not in "biufc":
        raise WireError(f"numpy scalars of dtype {dtype} do not cross")
    if isinstance(value, list) and len(value) == 3 and value[0] == "complex":
        value = complex(value[1], value[2])
    if not isinstance(value, (bool, int, float, complex)):
        raise WireError(f"bad numpy scalar value {value!r}")
    return dtype.type(value)


def _new_dict(kind: Any, factory: Any) -> dict:
    if kind not in _DICT_TYPES:
        raise WireError(f"unknown dict kind {kind!r}")
    if kind == "defaultdict":
        return collections.defaultdict(_DEFAULT_FACTORIES.get(factory))
    return _DICT_TYPES[kind]()


def _tensor_at(tensors: list[torch.Tensor], index: Any) -> torch.Tensor:
    if not isinstance(index, int) or not 0 <= index < len(tensors) or not isinstance(tensors[index], torch.Tensor):
        raise WireError(f"bad tensor index {index!r}")
    return tensors[index]


def _tensor_from(tensors: list[torch.Tensor], data_index: int, grad_index: int, requires_grad: bool, parameter: bool) -> torch.Tensor:
    data = _tensor_at(tensors, data_index).detach()
    if type(data) is not torch.Tensor:
        data = data.as_subclass(torch.Tensor)
    grad_ok = requires_grad and (data.is_floating_point() or data.is_complex())
    tensor = torch.nn.Parameter(data, requires_grad=grad_ok) if parameter else data.requires_grad_(grad_ok)
    if grad_index >= 0:
        tensor.grad = _tensor_at(tensors, grad_index)
    return tensor


def _update_tensor(tensor: torch.Tensor, tensors: list[torch.Tensor], data_index: int, grad_index: int, requires_grad: bool, parameter: bool) -> None:
    data = _tensor_at(tensors, data_index)
    with torch.no_grad():
        if data.shape == tensor.shape and data.dtype == tensor.dtype and data.device == tensor.device:
            if data.device.type != "meta":
                tensor.copy_(data)
        else:
            tensor.data = data
    if tensor.is_leaf and tensor.requires_grad != requires_grad and (tensor.is_floating_point() or tensor.is_complex() or not requires_grad):
        tensor.requires_grad_(requires_grad)
    grad = _tensor_at(tensors, grad_index) if grad_index >= 0 else None
    if tensor.is_leaf:
        tensor.grad = grad


def _shareable_module(module: str) -> bool:
    return any(module == allowed or module.startswith(allowed + ".") for allowed in SHAREABLE_MODULES)


def _is_global(value: Any) -> bool:
    """A module-level function or class of a shareable module, which the worker can import by name."""
    module, qualname = _global_name(value)
    if not module or "<locals>" in qualname or "<lambda>" in qualname or not _shareable_module(module):
        return False
    try:
        return _import_global(module, qualname) is value
    except Exception:  # the name does not resolve to the same object
        return False


def _global_name(value: Any) -> tuple[str, str]:
    return getattr(value, "__module__", "") or "", getattr(value, "__qualname__", "") or ""


def _import_global(module: Any, qualname: Any) -> Any:
    if not isinstance(module, str) or not isinstance(qualname, str) or not _shareable_module(module):
        raise WireError(f"cannot import {module!r}.{qualname!r}")
    value: Any = importlib.import_module(module)
    for part in qualname.split("."):
        value = getattr(value, part)
    return value
