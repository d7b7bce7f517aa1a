"""Does the grading isolation engine keep student code in its worker, in sync with the tests, and within its limits?

grader/grading/wire.py (framing and shared objects), worker.py (where the
student's code runs), sandbox.py (how a worker is started) and remote.py (the
trusted side: ``Session`` and ``IsolatedImplementation``). The session tests
run at both isolation levels; the sandbox ones are skipped, with bubblewrap's
own reason, where it cannot run. Hostile behaviour is planted into a copy of
the reference a1_tokenizer/tokenizer.py (``PLANTED``).
"""

from __future__ import annotations

import collections
import json
import math
import os
import pathlib
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from grader import checking
from grader.course import Course, load_course
from grader.grading import sandbox
from grader.grading.remote import CPUTimeLimitExceeded, IsolatedImplementation, Session, StudentExit, WorkerLost, WorkerProcess, _process_tree
from grader.grading.sandbox import LaunchPlan, SandboxError, WorkerLimits, bubblewrap_problem, choose_isolation, plan_launch
from grader.grading.wire import MESSAGE_LIMIT, NotShareable, Peer, WireError, read_message, send_message
from grader.implementation import Implementation
from grader.paths import REPOSITORY, SOLUTIONS

LEVELS = ("process", "sandbox")
WORKER_ENVIRONMENT = ("PATH", "HOME", "TMPDIR", "LANG", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED")
"""The only variables a worker's environment holds (sandbox.plan_launch)."""

# Appended to a copy of solutions/a1_tokenizer/tokenizer.py: the behaviour the session tests provoke.
PLANTED = '''

# --- planted by tests/tool/test_grade_isolation.py ---------------------------------------------
import os as _os
import socket as _socket
import struct as _struct
import sys as _sys
import time as _time

_kept = []


def planted_mutate(items, counts, tensor):
    items.append(len(items))
    items[0] = "changed"
    counts["new"] = 1
    tensor.add_(1)


def planted_keep(value):
    _kept[:] = [value]


def planted_kept():
    return _kept[0]


def planted_sum_kept():
    return sum(_kept[0])


def planted_fail(ids):
    raise ValueError("bad ids")  # PLANTED-RAISE


def planted_exit(code):
    _sys.exit(code)


def planted_vanish(code):
    _os._exit(code)


def planted_sleep_forever():
    while True:
        _time.sleep(0.05)


def planted_burn():
    total = 0
    while True:
        total += 1


def planted_forge():
    answers = int(_sys.argv[_sys.argv.index("--answers") + 1])
    _os.write(answers, _struct.pack("<QQ", 2**40, 0))
    _time.sleep(60)


def planted_read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        return type(error).__name__


def planted_write(path):
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("planted")
        return "written"
    except OSError as error:
        return type(error).__name__


def planted_exists(path):
    return _os.path.exists(path)


def planted_dial(port):
    connection = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    connection.settimeout(3)
    try:
        connection.connect(("127.0.0.1", port))
        return "connected"
    except OSError as error:
        return type(error).__name__
    finally:
        connection.close()


def planted_environment():
    return dict(_os.environ)
'''


# --- helpers and fixtures ------------------------------------------------------------------------


def require(level: str) -> None:
    """Skip the test where ``level`` cannot run here (the sandbox without working bubblewrap)."""
    if level == "sandbox":
        problem = bubblewrap_problem()
        if problem is not None:
            pytest.skip(f"no sandbox on this machine: {problem}")


def frame_bytes(message: dict, tensors: list[torch.Tensor] = ()) -> bytes:
    """The bytes ``send_message`` writes for ``message`` and ``tensors``."""
    read_end, write_end = os.pipe()
    try:
        send_message(write_end, message, tensors)
        os.close(write_end)
        write_end = -1
        chunks = []
        while chunk := os.read(read_end, 2**16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def read_bytes(data: bytes):
    """``read_message`` on a pipe that holds ``data`` and is then closed."""
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, data)
        os.close(write_end)
        write_end = -1
        return read_message(read_end)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def raw_frame(frame: object, blob: bytes = b"") -> bytes:
    """A message written by hand: header, JSON ``frame``, ``blob``."""
    text = json.dumps(frame).encode()
    return struct.pack("<QQ", len(text), len(blob)) + text + blob


def over_the_wire(message: dict, tensors: list[torch.Tensor]):
    return read_bytes(frame_bytes(message, tensors))


def cross(sender: Peer, receiver: Peer, value):
    """Hand ``value`` from ``sender`` to ``receiver`` as a request or answer does, through real framing."""
    tensors: list[torch.Tensor] = []
    node = sender.encode(value, tensors)
    updates = sender.changes(tensors)
    sender.settle()
    message, received = over_the_wire({"node": node, "updates": updates}, tensors)
    twin = receiver.decode(message["node"], received)
    receiver.apply(message["updates"], received)
    receiver.settle()
    return twin


def sync(sender: Peer, receiver: Peer) -> list:
    """Send ``sender``'s changes to ``receiver``; the updates that went."""
    tensors: list[torch.Tensor] = []
    updates = sender.changes(tensors)
    sender.settle()
    message, received = over_the_wire({"updates": updates}, tensors)
    receiver.apply(message["updates"], received)
    receiver.settle()
    return updates


def planted_line() -> int:
    """The line of tokenizer.py in the planted tree where planted_fail raises."""
    text = (SOLUTIONS / "a1_tokenizer" / "tokenizer.py").read_text(encoding="utf-8") + PLANTED
    return next(number for number, line in enumerate(text.splitlines(), 1) if "PLANTED-RAISE" in line)


@pytest.fixture(scope="module", autouse=True)
def cgroups_cleaned_up():
    """Remove, once the module is done, any pids cgroup its workers left behind (see test_closing_a_session_removes_its_cgroup).

    Records what sandbox._make_cgroup returns without changing it, so the engine runs as it would."""
    made: list[Path] = []
    original = sandbox._make_cgroup

    def recording(limits: WorkerLimits) -> Path | None:
        cgroup = original(limits)
        if cgroup is not None:
            made.append(cgroup)
        return cgroup

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sandbox, "_make_cgroup", recording)
        yield
    deadline = time.monotonic() + 5
    for cgroup in made:
        while cgroup.exists():
            try:
                cgroup.rmdir()
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)


@pytest.fixture(scope="module")
def planted_tree(tmp_path_factory) -> Path:
    """A submission tree whose a1_tokenizer is the reference plus the PLANTED functions."""
    root = tmp_path_factory.mktemp("planted") / "submission"
    package = root / "a1_tokenizer"
    package.mkdir(parents=True)
    shutil.copyfile(SOLUTIONS / "a1_tokenizer" / "__init__.py", package / "__init__.py")
    source = (SOLUTIONS / "a1_tokenizer" / "tokenizer.py").read_text(encoding="utf-8")
    (package / "tokenizer.py").write_text(source + PLANTED, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def writable(tmp_path_factory) -> Path:
    """The folder the module's sessions may write besides their working folder."""
    return tmp_path_factory.mktemp("writable")


@pytest.fixture(scope="module")
def open_session(course: Course, planted_tree: Path, writable: Path):
    """``open_session(tree, level)``: one Session per tree ("solutions" or "planted") and level, shared by the module."""
    opened: dict[tuple[str, str], Session] = {}

    def get(tree: str, level: str) -> Session:
        if (tree, level) not in opened:
            root = SOLUTIONS if tree == "solutions" else planted_tree
            opened[tree, level] = Session(tree=root, course=course, isolation=choose_isolation(level), writable=[writable], limits=WorkerLimits())
        return opened[tree, level]

    yield get
    for session in opened.values():
        session.close()


@pytest.fixture(params=LEVELS)
def level(request) -> str:
    require(request.param)
    return request.param


def one_test(session: Session):
    """Run one test's worth of requests within generous limits."""
    session.begin_test(wall_seconds=60, cpu_seconds=60)
    try:
        yield IsolatedImplementation(session)
    finally:
        session.end_test()


@pytest.fixture
def solutions_impl(open_session, level):
    """The reference solutions in a worker at ``level``, for one test."""
    yield from one_test(open_session("solutions", level))


@pytest.fixture
def planted_impl(open_session, level):
    """The planted tree in a worker at ``level``, for one test."""
    yield from one_test(open_session("planted", level))


@pytest.fixture
def sandboxed_impl(open_session):
    """The planted tree in the sandbox, for one test."""
    require("sandbox")
    yield from one_test(open_session("planted", "sandbox"))


@pytest.fixture
def fresh_session(course: Course, planted_tree: Path, tmp_path: Path):
    """``fresh_session(level)``: a Session of its own on the planted tree, for tests that kill its worker."""
    made: list[Session] = []

    def make(level: str) -> Session:
        folder = tmp_path / f"writable-{len(made)}"
        folder.mkdir()
        made.append(Session(tree=planted_tree, course=course, isolation=choose_isolation(level), writable=[folder], limits=WorkerLimits()))
        return made[-1]

    yield make
    for session in made:
        session.close()


def warm_up(session: Session) -> IsolatedImplementation:
    """Start the session's worker in a test of its own, so the next test's limits do not count its start."""
    impl = IsolatedImplementation(session)
    session.begin_test(wall_seconds=60, cpu_seconds=None)
    assert impl.a1.get_pair_counts([1, 1]) == {(1, 1): 1}
    session.end_test()
    return impl


def gone(pid: int) -> bool:
    """Whether process ``pid`` no longer runs (absent, or a zombie waiting for a reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def still_running(pids: list[int], *, within: float = 5.0) -> list[int]:
    """The processes of ``pids`` still running after up to ``within`` seconds (a sandbox's inner processes die a moment after bwrap)."""
    deadline = time.monotonic() + within
    while (left := [pid for pid in pids if not gone(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


# --- framing -------------------------------------------------------------------------------------


def test_message_round_trips_tensors_of_every_dtype_and_layout() -> None:
    """Does a message come back whole, with tensors of several dtypes, 0-dim, empty, non-contiguous and meta?"""
    base = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    tensors = [
        torch.randn(2, 3),
        base.t(),
        base[:, ::2],
        torch.tensor([1, -2, 3], dtype=torch.int64),
        torch.tensor([True, False, True]),
        torch.tensor(True),
        torch.tensor(7),
        torch.randn(3).to(torch.bfloat16),
        torch.randn(2, dtype=torch.complex64),
        torch.zeros(0, 3, dtype=torch.int64),
        torch.empty(2, 5, device="meta"),
    ]
    message = {"op": "call", "args": [1, "x", None, 1.5, [True, -2]], "inf": math.inf}
    received, out = over_the_wire(message, tensors)
    assert received == message
    assert len(out) == len(tensors)
    for sent, got in zip(tensors, out):
        assert (got.dtype, got.shape, got.device.type) == (sent.dtype, sent.shape, sent.device.type)
        if sent.device.type != "meta":
            assert torch.equal(got, sent)


def test_oversized_message_is_refused_before_its_body_is_read() -> None:
    """Is a header announcing more than MESSAGE_LIMIT bytes refused after reading the header alone?"""
    header = struct.pack("<QQ", MESSAGE_LIMIT, 1)
    sizes: list[int] = []

    def read(fd: int, size: int) -> bytes:
        sizes.append(size)
        if len(sizes) > 1:
            raise AssertionError("read_message read past the header of an oversized message")
        return header

    with pytest.raises(WireError, match="over the limit"):
        read_message(-1, read=read)
    assert sizes == [len(header)]


@pytest.mark.parametrize("cut", [5, 20, -3], ids=["in-header", "in-text", "in-tensor-bytes"])
def test_stream_that_ends_early_is_refused(cut: int) -> None:
    """Does a message cut short (in its header, its JSON or its tensor bytes) raise WireError instead of hanging or half-reading?"""
    whole = frame_bytes({"op": "call", "padding": "x" * 40}, [torch.arange(8, dtype=torch.float32)])
    with pytest.raises(WireError, match="closed the pipe"):
        read_bytes(whole[:cut])


@pytest.mark.parametrize(
    "layout",
    [
        ["float32", [2, 2], "cpu", 0, 8],  # 4 elements of 4 bytes in 8 bytes
        ["float32", [2], "cpu", 4, 8],  # past the end of the bytes sent
        ["float32", [2], "cpu", -8, 8],
        ["float32", [-2], "cpu", 0, 8],
        ["ones", [2], "cpu", 0, 8],  # a torch name that is no dtype
        ["float32", [2], "disk", 0, 8],
        ["float32", [2], "cpu"],
        "float32",
    ],
    ids=["size", "offset-past-end", "negative-offset", "negative-dim", "not-a-dtype", "device", "short", "not-a-list"],
)
def test_tensor_layout_that_does_not_match_the_bytes_is_refused(layout) -> None:
    """Is a tensor whose layout disagrees with the bytes sent (size, offset, dtype, shape, device) refused with WireError?"""
    with pytest.raises(WireError):
        read_bytes(raw_frame({"message": {}, "tensors": [layout]}, bytes(8)))


@pytest.mark.parametrize(
    "text",
    [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2]", b'{"message": [], "tensors": []}', b'{"message": {}}'],
    ids=["garbage", "not-utf8", "a-list", "message-not-object", "no-tensors"],
)
def test_bytes_that_are_no_message_are_refused(text: bytes) -> None:
    """Is a body that is not JSON, or JSON without 'message' and 'tensors', refused with WireError?"""
    with pytest.raises(WireError):
        read_bytes(struct.pack("<QQ", len(text), 0) + text)


# --- shared objects ------------------------------------------------------------------------------


def every_kind() -> dict:
    """A value holding one of each kind the protocol shares or copies."""
    parameter = torch.nn.Parameter(torch.randn(2, 2))
    parameter.grad = torch.full((2, 2), 0.5)
    tensor = torch.randn(3, requires_grad=True)
    return {
        "nested": [1, (2, 3.5, "x"), {4, 5}, frozenset({6}), [None, [True]]],
        "ordered": collections.OrderedDict(b=1, a=2),
        "counter": collections.Counter("aab"),
        "default": collections.defaultdict(int, {"k": 2}),
        "tensor": tensor,
        "twice": [tensor, tensor],
        "parameter": parameter,
        "long": torch.arange(4),
        "generator": torch.Generator().manual_seed(3),
        "array": np.arange(6, dtype=np.int32).reshape(2, 3)[:, ::2],
        "float32": np.float32(1.5),
        "int64": np.int64(7),
        "slice": slice(1, None, 2),
        "range": range(1, 10, 3),
        "ellipsis": ...,
        "complex": 1 + 2j,
        "path": pathlib.PurePosixPath("/x/y.txt"),
        "dtype": torch.bfloat16,
        "device": torch.device("cpu"),
        "size": torch.Size([2, 3]),
        b"\xff\x00": "bytes key",
        (1, "two"): "tuple key",
        "nan": math.nan,
        "neg-inf": -math.inf,
    }


@pytest.mark.parametrize(("sender", "receiver"), [("trusted", "worker"), ("worker", "trusted")])
def test_values_of_every_shareable_kind_cross_intact(sender: str, receiver: str) -> None:
    """Does each kind of value (containers, dict kinds, tensors, generators, numpy, slices, paths, dtypes...) come out equal and of its type?"""
    value = every_kind()
    twin = cross(Peer(sender), Peer(receiver), value)
    assert type(twin) is dict and list(twin) == list(value)
    for key in ("nested", "ordered", "counter", "default", "slice", "range", "ellipsis", "complex", "dtype", "device", "size",
                b"\xff\x00", (1, "two"), "neg-inf", "float32", "int64"):
        assert twin[key] == value[key] and type(twin[key]) is type(value[key]), key
    assert list(twin["ordered"]) == ["b", "a"]
    assert twin["default"]["missing"] == 0
    assert twin["path"] == pathlib.Path("/x/y.txt")
    assert math.isnan(twin["nan"])
    assert twin["twice"][0] is twin["twice"][1] is twin["tensor"]
    assert torch.equal(twin["tensor"], value["tensor"]) and twin["tensor"].requires_grad
    assert type(twin["parameter"]) is torch.nn.Parameter and torch.equal(twin["parameter"], value["parameter"])
    assert torch.equal(twin["parameter"].grad, value["parameter"].grad)
    assert torch.equal(twin["long"], value["long"]) and not twin["long"].requires_grad
    assert torch.equal(twin["generator"].get_state(), value["generator"].get_state())
    assert type(twin["array"]) is np.ndarray and twin["array"].dtype == np.int32
    assert np.array_equal(twin["array"], value["array"])


def test_trusted_iterator_crosses_as_its_items() -> None:
    """Does a one-pass iterable from a test reach the worker as an iterator over the same items?"""
    twin = cross(Peer("trusted"), Peer("worker"), (number * number for number in range(4)))
    assert iter(twin) is twin and list(twin) == [0, 1, 4, 9]


def test_in_place_changes_cross_in_both_directions() -> None:
    """Does an in-place change to a shared list, dict, set, tensor or generator on one side show up on the other after changes/apply?"""
    trusted, worker = Peer("trusted"), Peer("worker")
    items, counts, seen = [1, 2], collections.defaultdict(int), {1}
    tensor, generator = torch.zeros(3, requires_grad=True), torch.Generator().manual_seed(1)
    value = {"items": items, "counts": counts, "seen": seen, "tensor": tensor, "generator": generator}
    twin = cross(trusted, worker, value)

    twin["items"].append([3])
    twin["counts"]["new"] += 1
    twin["seen"].add(2)
    with torch.no_grad():
        twin["tensor"].add_(2)
    twin["tensor"].grad = torch.ones(3)
    torch.rand(5, generator=twin["generator"])
    assert len(sync(worker, trusted)) == 5
    assert items == [1, 2, [3]] and twin["items"][2] is not items[2]
    assert counts == {"new": 1} and seen == {1, 2}
    assert torch.equal(tensor, torch.full((3,), 2.0)) and torch.equal(tensor.grad, torch.ones(3))
    assert torch.equal(generator.get_state(), twin["generator"].get_state())

    # And back: the test changes what the worker made (the inner list) and what it shares.
    items[2].append(4)
    counts.clear()
    tensor.requires_grad_(False)
    assert len(sync(trusted, worker)) == 3
    assert twin["items"] == [1, 2, [3, 4]] and twin["counts"] == {}
    assert not twin["tensor"].requires_grad


def test_unchanged_objects_produce_no_updates() -> None:
    """Once both sides settled, do untouched shared objects (and objects read but not changed) send nothing?"""
    trusted, worker = Peer("trusted"), Peer("worker")
    value = every_kind()
    twin = cross(trusted, worker, value)
    assert sum(twin["nested"][4][1]) == 1 and twin["ordered"]["a"] == 2 and torch.equal(twin["tensor"].detach(), value["tensor"].detach())
    assert worker.changes([]) == [] and trusted.changes([]) == []
    twin["nested"].append(7)  # one change: exactly one update, for that list
    tensors: list[torch.Tensor] = []
    updates = worker.changes(tensors)
    assert [wire_id for wire_id, _ in updates] == [trusted.wire_ids[id(value["nested"])]]


def test_torch_object_is_rebuilt_with_its_state_shared() -> None:
    """Is a torch module handed to the worker rebuilt there, with its flags and parameters shared with the test's?"""
    trusted, worker = Peer("trusted"), Peer("worker")
    layer = torch.nn.Linear(2, 2)
    twin = cross(trusted, worker, layer)
    assert type(twin) is torch.nn.Linear and twin is not layer and torch.equal(twin.weight, layer.weight)
    twin.eval()
    with torch.no_grad():
        twin.weight.fill_(3.0)
    sync(worker, trusted)
    assert layer.training is False
    assert torch.equal(layer.weight, torch.full((2, 2), 3.0))
    assert cross(trusted, worker, torch.nn.functional.relu) is torch.nn.functional.relu


def test_functions_and_foreign_objects_cannot_be_handed_to_the_worker() -> None:
    """Does the trusted side refuse lambdas, nested functions and objects of non-shareable modules with NotShareable, while the worker sends them as references?"""

    class Local:
        pass

    def nested(value):
        return value

    for value in (lambda value: value, nested, Local(), [1, Local()], json.JSONDecoder()):
        with pytest.raises(NotShareable):
            Peer("trusted").encode(value, [])
    made: list[tuple] = []
    trusted = Peer("trusted", make_proxy=lambda *details: made.append(details) or "proxy")
    assert cross(Peer("worker"), trusted, [lambda: 1, Local()]) == ["proxy", "proxy"]
    assert [details[1] for details in made] == ["builtins.function", f"{__name__}.{Local.__qualname__}"]


@pytest.mark.parametrize(
    ("side", "node"),
    [
        ("trusted", ["known", 12345]),
        ("trusted", ["list", 4, []]),  # an even id: the trusted side's own
        ("worker", ["dict", 3, "dict", None, []]),  # an odd id: the worker's own
        ("trusted", ["tensor", 2.5, 0, -1, False, False, False]),
        ("worker", ["list", 2, [["list", 2, []]]]),  # the same id twice
        ("trusted", ["object", 1, "tests.stand_ins", "StateHolder", ["dict", 3, "dict", None, []]]),
        ("trusted", ["global", "torch", "relu"]),
        ("trusted", ["iterator", []]),
        ("worker", ["ref", 2, "x.Y", []]),
        ("worker", ["global", "os", "system"]),
        ("worker", ["dict", 2, "WeakKeyDictionary", None, []]),
        ("trusted", ["nonsense"]),
    ],
    ids=["unknown-id", "trusted-id-from-worker", "worker-id-from-trusted", "id-not-int", "reused-id", "object-from-worker",
         "global-from-worker", "iterator-from-worker", "ref-from-trusted", "global-of-os", "dict-kind", "unknown-tag"],
)
def test_nodes_the_other_side_may_not_send_are_refused(side: str, node: list) -> None:
    """Are wire ids the sender does not own, reused ids, and node kinds only the other side sends refused with WireError?"""
    with pytest.raises(WireError):
        Peer(side, make_proxy=lambda *details: object()).decode(node, [])


def test_update_for_an_object_the_receiver_does_not_share_is_refused() -> None:
    """Is an update naming an unknown id, or a reference, refused with WireError?"""
    trusted = Peer("trusted", make_proxy=lambda *details: object())
    with pytest.raises(WireError):
        trusted.apply([[7, ["list", 7, []]]], [])
    trusted.decode(["ref", 9, "x.Y", []], [])
    with pytest.raises(WireError, match="takes no updates"):
        trusted.apply([[9, ["list", 9, []]]], [])


def test_reset_forgets_every_shared_object() -> None:
    """After reset, does a formerly shared object's id mean nothing, and is it sent whole again?"""
    trusted, worker = Peer("trusted"), Peer("worker")
    items = [1]
    cross(trusted, worker, items)
    trusted.reset()
    worker.reset()
    with pytest.raises(WireError):
        worker.decode(["known", 0], [])
    assert trusted.encode(items, [])[0] == "list"


def test_numpy_complex_scalar_crosses() -> None:
    """Does a numpy complex scalar cross like the other numpy scalars?"""
    twin = cross(Peer("worker"), Peer("trusted"), np.complex64(1 + 2j))
    assert twin == np.complex64(1 + 2j) and type(twin) is np.complex64


def test_defaultdict_with_another_factory_is_refused() -> None:
    """Is a defaultdict whose factory cannot cross refused, naming the factory, instead of silently losing its default?"""
    with pytest.raises(NotShareable, match="defaultdict whose default is"):
        cross(Peer("trusted"), Peer("worker"), collections.defaultdict(tuple, {"a": (1,)}))


# --- sessions: the reference in a worker ---------------------------------------------------------


def test_calls_return_the_reference_values(solutions_impl) -> None:
    """Do calls into the worker return what the reference computes, as plain values and tensors?"""
    assert solutions_impl.a1.get_pair_counts([1, 2, 1, 2]) == {(1, 2): 2, (2, 1): 1}
    assert solutions_impl.a1.merge_pair([1, 2, 3, 1, 2], (1, 2), 9) == [9, 3, 9]
    mask = solutions_impl.a3.causal_mask(3)
    assert type(mask) is torch.Tensor and torch.equal(mask, torch.ones(3, 3, dtype=torch.bool).tril())
    x = torch.randn(2, 5)
    torch.testing.assert_close(solutions_impl.a3.softmax(x, dim=-1), torch.softmax(x, dim=-1))


def test_global_rng_advances_as_if_the_code_ran_here(solutions_impl, course: Course) -> None:
    """Does a student function drawing from torch's global RNG advance the test's RNG exactly as running it in-process does?"""
    local = Implementation(SOLUTIONS, course=course)
    data = torch.arange(100)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        start = torch.get_rng_state()
        remote_x, remote_y = solutions_impl.a5.get_batch(data, 4, 8)
        after_remote = torch.get_rng_state()
        torch.set_rng_state(start)
        local_x, local_y = local.a5.get_batch(data, 4, 8)
        after_local = torch.get_rng_state()
    assert not torch.equal(after_remote, start)
    assert torch.equal(after_remote, after_local)
    assert torch.equal(remote_x, local_x) and torch.equal(remote_y, local_y)


def test_backward_reaches_the_tests_tensor(solutions_impl) -> None:
    """Does backward through the student's output put the right gradient into the test's own tensor's .grad?"""
    x = torch.randn(3, 5, requires_grad=True)
    weights = torch.randn(3, 5)
    out = solutions_impl.a3.softmax(x, dim=-1)
    assert out.requires_grad
    (out * weights).sum().backward()
    expected = x.detach().clone().requires_grad_(True)
    (torch.softmax(expected, dim=-1) * weights).sum().backward()
    torch.testing.assert_close(x.grad, expected.grad)


def test_call_with_a_graph_emits_no_warning(solutions_impl) -> None:
    """Does a call whose output carries a graph run without the engine emitting warnings into the test?"""
    x = torch.randn(2, 3, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        solutions_impl.a3.softmax(x, dim=-1).sum().backward()
    assert [str(warning.message) for warning in caught] == []


# --- sessions: planted behaviour -----------------------------------------------------------------


def test_arguments_changed_in_place_are_changed_for_the_test(planted_impl) -> None:
    """Are a list, a dict and a tensor the student's code changes in place changed on the test's side too?"""
    items, counts, tensor = ["a", "b"], {"a": 1}, torch.zeros(3)
    assert planted_impl.a1.planted_mutate(items, counts, tensor) is None
    assert items == ["changed", "b", 2]
    assert counts == {"a": 1, "new": 1}
    assert torch.equal(tensor, torch.ones(3))


def test_test_side_changes_reach_what_the_student_kept(planted_impl) -> None:
    """Does a change the test makes to a list the student's code kept reach the worker at the next call, with identity kept?"""
    items = [1, 2]
    planted_impl.a1.planted_keep(items)
    items.append(3)
    assert planted_impl.a1.planted_sum_kept() == 6
    assert planted_impl.a1.planted_kept() is items


def test_student_error_keeps_its_type_message_and_location(planted_impl) -> None:
    """Does a student's ValueError come back as a ValueError with its message and the file:line in the tree?"""
    with pytest.raises(ValueError, match="bad ids") as caught:
        planted_impl.a1.planted_fail([1, 2])
    assert type(caught.value) is ValueError
    assert caught.value.student_location == f"a1_tokenizer/tokenizer.py:{planted_line()}"


def test_student_exit_is_reported_and_the_worker_goes_on(planted_impl) -> None:
    """Does sys.exit in student code raise StudentExit, with the same worker answering the next call?"""
    session = planted_impl.session
    planted_impl.a1.get_pair_counts([1, 2])
    starts, pid = session.starts, session.worker.process.pid
    with pytest.raises(StudentExit):
        planted_impl.a1.planted_exit(0)
    assert planted_impl.a1.get_pair_counts([3, 3, 3]) == {(3, 3): 2}
    assert (session.starts, session.worker.process.pid) == (starts, pid)


def test_worker_environment_is_scrubbed(planted_impl) -> None:
    """Does the worker see only the variables its launch plan sets, none of the grader's own (PYTEST_CURRENT_TEST, VIRTUAL_ENV...)?"""
    environment = planted_impl.a1.planted_environment()
    assert set(environment) - {"PWD"} == set(WORKER_ENVIRONMENT)  # bwrap sets PWD to its --chdir, the working folder
    assert environment.get("PWD", environment["HOME"]) == environment["HOME"]
    assert environment["PYTHONHASHSEED"] == "0" and environment["OMP_NUM_THREADS"] == "1"


def test_worker_that_exits_is_lost_and_the_next_test_gets_a_new_one(fresh_session, level) -> None:
    """Does os._exit in student code fail the test with WorkerLost, and does the next test run in a new worker?"""
    session = fresh_session(level)
    impl = IsolatedImplementation(session)
    session.begin_test(wall_seconds=60, cpu_seconds=60)
    with pytest.raises(WorkerLost, match=r"exit status 3\)"):
        impl.a1.planted_vanish(3)
    session.end_test()
    session.begin_test(wall_seconds=60, cpu_seconds=60)
    assert impl.a1.get_pair_counts([1, 2, 1, 2]) == {(1, 2): 2, (2, 1): 1}
    session.end_test()
    assert session.starts == 2


def test_pipe_closed_before_exit_reports_the_exit_status(tmp_path: Path) -> None:
    """When a worker's answers pipe closes a moment before its process exits (as with bwrap), does WorkerLost name the exit status?"""

    def plan_for(requests: int, answers: int) -> LaunchPlan:
        command = [sys.executable, "-I", "-c", f"import os, time; os.close({answers}); time.sleep(0.5); os._exit(3)"]
        return LaunchPlan(command, {"PATH": "/usr/bin:/bin"}, tmp_path, None, WorkerLimits())

    worker = WorkerProcess(plan_for)
    try:
        with pytest.raises(WorkerLost) as caught:
            worker.exchange({"op": "reset"}, [], deadline=time.monotonic() + 30)
    finally:
        worker.kill()
    assert "exit status 3" in str(caught.value)


def test_endless_loop_hits_the_wall_limit_and_leaves_no_process(fresh_session, level) -> None:
    """Does an endless (sleeping) loop fail with TestTimeLimitExceeded near the wall limit, killing every process of the worker?"""
    session = fresh_session(level)
    impl = warm_up(session)
    processes = _process_tree(session.worker.process.pid)
    session.begin_test(wall_seconds=2, cpu_seconds=None)
    started = time.monotonic()
    with pytest.raises(checking.TestTimeLimitExceeded) as caught:
        impl.a1.planted_sleep_forever()
    elapsed = time.monotonic() - started
    session.end_test()
    assert not isinstance(caught.value, CPUTimeLimitExceeded)
    assert elapsed < 2 + 10
    assert still_running(processes) == []
    session.begin_test(wall_seconds=60, cpu_seconds=60)
    assert impl.a1.get_pair_counts([5, 5]) == {(5, 5): 1}
    session.end_test()
    assert session.starts == 2


def test_cpu_burning_loop_hits_the_cpu_budget(fresh_session, level) -> None:
    """With a generous wall limit but a 1 s CPU budget, does a busy loop fail with CPUTimeLimitExceeded well before the wall limit?"""
    session = fresh_session(level)
    impl = warm_up(session)
    session.begin_test(wall_seconds=60, cpu_seconds=1)
    started = time.monotonic()
    with pytest.raises(CPUTimeLimitExceeded, match="CPU time"):
        impl.a1.planted_burn()
    elapsed = time.monotonic() - started
    session.end_test()
    assert elapsed < 30
    assert not session.worker.alive


def test_forged_oversized_answer_loses_the_worker(fresh_session, level) -> None:
    """When student code writes a header announcing a huge answer on the answers pipe, is it refused as WorkerLost (not read, not a result)?"""
    session = fresh_session(level)
    impl = IsolatedImplementation(session)
    session.begin_test(wall_seconds=30, cpu_seconds=30)
    with pytest.raises(WorkerLost, match="unreadable"):
        impl.a1.planted_forge()
    session.end_test()
    assert not session.worker.alive


@pytest.mark.parametrize("level", ["process", "sandbox"])
def test_closing_a_session_removes_its_cgroup(fresh_session, level) -> None:
    """Once a session is closed, is its worker's pids cgroup removed from the host (not left behind, empty)?"""
    require(level)
    session = fresh_session(level)
    warm_up(session)
    cgroup = session.worker.plan.cgroup
    if cgroup is None:
        pytest.skip("no writable pids cgroup here: workers run without one")
    session.close()
    deadline = time.monotonic() + 2
    while cgroup.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not cgroup.exists()


# --- the sandbox ---------------------------------------------------------------------------------


def test_sandbox_cannot_read_files_outside_its_tree(sandboxed_impl, tmp_path: Path) -> None:
    """Can the sandboxed worker read its own tree but not a file outside the tree and the writable folders?"""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("the answer key", encoding="utf-8")
    own = sandboxed_impl.root / "a1_tokenizer" / "__init__.py"
    assert sandboxed_impl.a1.planted_read(str(own)) == own.read_text(encoding="utf-8")
    assert sandboxed_impl.a1.planted_read(str(secret)) in ("FileNotFoundError", "PermissionError")


def test_sandbox_cannot_see_the_repository_solutions(sandboxed_impl) -> None:
    """Is the repository's solutions/ folder (and its files) invisible in the sandbox, while the tree is there?"""
    assert sandboxed_impl.a1.planted_exists(str(sandboxed_impl.root)) is True
    assert sandboxed_impl.a1.planted_exists(str(SOLUTIONS)) is False
    assert sandboxed_impl.a1.planted_exists(str(SOLUTIONS / "a1_tokenizer" / "tokenizer.py")) is False
    assert sandboxed_impl.a1.planted_exists(str(REPOSITORY / "tests" / "hidden")) is False


def test_sandbox_has_no_network(sandboxed_impl) -> None:
    """Is a connection from the sandbox to 127.0.0.1 on a port the test listens on refused, with no connection arriving?"""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        result = sandboxed_impl.a1.planted_dial(port)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert result != "connected"


def test_sandbox_tree_is_read_only_and_writable_folder_is_not(sandboxed_impl, writable: Path) -> None:
    """Does writing into the submission's tree fail in the sandbox, while the writable folder takes the write?"""
    inside = sandboxed_impl.root / "a1_tokenizer" / "planted.txt"
    assert sandboxed_impl.a1.planted_write(str(inside)) != "written"
    assert not inside.exists()
    allowed = writable / "note.txt"
    assert sandboxed_impl.a1.planted_write(str(allowed)) == "written"
    assert allowed.read_text(encoding="utf-8") == "planted"


# --- choosing and planning the isolation ---------------------------------------------------------


def test_process_level_says_what_it_lacks() -> None:
    """Does choose_isolation('process') give the process level, with notes saying the worker can read files and use the network?"""
    isolation = choose_isolation("process")
    assert isolation.level == "process"
    text = " ".join(isolation.notes)
    assert "weaker isolation" in text and "files" in text and "network" in text


as_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching the worker to nobody happens only when the grader is root")


@as_root
def test_process_level_under_root_says_who_the_worker_runs_as() -> None:
    """Under root, does the process level run the worker as nobody where nobody can run this Python, and else
    say that it runs as root and why?"""
    isolation = choose_isolation("process")
    if sandbox.nobody_problem() is None:
        assert isolation.user == sandbox.NOBODY and "runs as nobody" in isolation.notes
    else:
        assert isolation.user is None
        assert any(note.startswith("runs as root: nobody cannot run") for note in isolation.notes), isolation.notes


@as_root
def test_a_plan_with_a_user_starts_the_worker_as_that_user(tmp_path) -> None:
    """Does apply_limits switch the started process to the plan's user and group, with no supplementary groups?"""
    plan = LaunchPlan(["/usr/bin/id"], {"PATH": "/usr/bin:/bin"}, tmp_path, None, WorkerLimits(), user=sandbox.NOBODY)
    completed = subprocess.run(plan.command, env=plan.environment, cwd="/", capture_output=True, text=True, preexec_fn=lambda: sandbox.apply_limits(plan))
    assert completed.returncode == 0, completed.stderr
    uid, gid = sandbox.NOBODY
    assert f"uid={uid}(" in completed.stdout and f"gid={gid}(" in completed.stdout
    groups = completed.stdout.split("groups=")[1].strip().split(",")
    assert len(groups) == 1 and groups[0].startswith(f"{gid}("), completed.stdout


@as_root
def test_process_plan_for_nobody_hands_it_its_folders_and_a_way_to_its_tree(tmp_path) -> None:
    """With a user, does plan_launch give the writable folders (and what is in them) to that user, and make the
    private temporary folders above the tree and the code enterable, but not listable, by others?"""
    scratch = Path(tempfile.mkdtemp())  # private (0700), as grading's scratch folders are
    try:
        tree, code, working = scratch / "alice" / "tree", scratch / "code", scratch / "work"
        for folder in (tree, code, working / "inside"):
            folder.mkdir(parents=True)
        (working / "inside" / "note.txt").write_text("the grader's\n")
        plan = plan_launch(
            isolation=sandbox.Isolation("process", user=sandbox.NOBODY), tree=tree, modules={}, code=code, writable=[working],
            requests_fd=0, answers_fd=1, limits=WorkerLimits(),
        )
        assert plan.user == sandbox.NOBODY
        for path in (working, working / "inside", working / "inside" / "note.txt"):
            assert (path.stat().st_uid, path.stat().st_gid) == sandbox.NOBODY, path
        mode = scratch.stat().st_mode
        assert mode & stat.S_IXOTH and not mode & stat.S_IROTH
        assert tree.stat().st_uid == 0 and code.stat().st_uid == 0
    finally:
        shutil.rmtree(scratch)


@as_root
def test_a_session_shares_only_folders_below_its_writable_ones(tmp_path) -> None:
    """Does Session.share hand a test's temporary folder to the worker's user, and leave any other path alone?"""
    writable = tmp_path / "work"
    test_folder, elsewhere = writable / "pytest" / "test_x0", tmp_path / "elsewhere"
    test_folder.mkdir(parents=True)
    elsewhere.mkdir()
    session = Session(
        tree=SOLUTIONS, course=load_course(), isolation=sandbox.Isolation("process", user=sandbox.NOBODY),
        writable=[writable], limits=WorkerLimits(),
    )
    try:
        session.share(test_folder)
        session.share(elsewhere)
        session.share(REPOSITORY)
    finally:
        session.close()
    assert test_folder.stat().st_uid == sandbox.NOBODY[0]
    assert elsewhere.stat().st_uid == 0 and REPOSITORY.stat().st_uid == os.stat(REPOSITORY / "course.toml").st_uid


def test_unknown_level_is_refused_by_name() -> None:
    """Is an unknown isolation level refused with a SandboxError naming it and the levels there are?"""
    with pytest.raises(SandboxError, match=r"unknown isolation level 'bogus'.*sandbox.*process"):
        choose_isolation("bogus")


def test_auto_falls_back_to_process_where_bubblewrap_is_missing(monkeypatch) -> None:
    """Without bwrap, does bubblewrap_problem say so, 'auto' fall back to the process level with the reason, and 'sandbox' refuse?"""
    monkeypatch.setattr(sandbox, "_BUBBLEWRAP_PROBLEM", sandbox._UNKNOWN)
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    problem = bubblewrap_problem()
    assert problem is not None and "bubblewrap (bwrap) is not installed" in problem
    fallback = choose_isolation("auto")
    assert fallback.level == "process" and any(problem in note for note in fallback.notes)
    with pytest.raises(SandboxError, match="not available"):
        choose_isolation("sandbox")


def test_auto_picks_the_sandbox_where_bubblewrap_works() -> None:
    """Where bubblewrap works, does 'auto' choose the sandbox level, with notes on network and visibility?"""
    require("sandbox")
    isolation = choose_isolation("auto")
    assert isolation.level == "sandbox"
    assert "no network" in isolation.notes


def bound_sources(command: list[str]) -> list[Path]:
    return [Path(command[index + 1]) for index, flag in enumerate(command) if flag in ("--bind", "--ro-bind")]


def test_sandbox_plan_binds_the_tree_read_only_and_nothing_holding_solutions(tmp_path: Path) -> None:
    """Does the sandbox command bind the tree read-only, the writable folders read-write, and no folder holding solutions/?"""
    tree, code, work, extra = (tmp_path / name for name in ("tree", "code", "work", "extra"))
    plan = plan_launch(isolation=sandbox.Isolation("sandbox"), tree=tree, modules={"a1_tokenizer": "tokenizer"}, code=code,
                       writable=[work, extra], requests_fd=5, answers_fd=6, limits=WorkerLimits())
    command = plan.command
    pairs = list(zip(command, command[1:], command[2:]))
    assert ("--ro-bind", str(tree), str(tree)) in pairs and ("--ro-bind", str(code), str(code)) in pairs
    assert ("--bind", str(work), str(work)) in pairs and ("--bind", str(extra), str(extra)) in pairs
    assert not any(flag == "--bind" and Path(source) == tree for flag, source, _ in pairs)
    for flag in ("--unshare-all", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in command
    assert [source for source in bound_sources(command) if SOLUTIONS.is_relative_to(source)] == []
    assert command[command.index("--chdir") + 1] == str(work)
    assert "--module=a1_tokenizer=tokenizer" in command


def test_process_plan_passes_only_its_own_environment(tmp_path: Path, monkeypatch) -> None:
    """Does a process-level plan start the worker with a scrubbed environment and the limits asked for?"""
    monkeypatch.setenv("COURSE_GRADER_SECRET", "s3cret")
    limits = WorkerLimits(memory_mb=512, processes=8)
    plan = plan_launch(isolation=sandbox.Isolation("process"), tree=tmp_path / "tree", modules={}, code=tmp_path / "code",
                       writable=[tmp_path / "work"], requests_fd=5, answers_fd=6, limits=limits)
    assert "COURSE_GRADER_SECRET" not in plan.environment
    assert set(plan.environment) == set(WORKER_ENVIRONMENT)
    assert plan.environment["HOME"] == str(tmp_path / "work") and plan.working_directory == tmp_path / "work"
    assert plan.limits is limits and plan.process_limit >= limits.processes
    assert "bwrap" not in Path(plan.command[0]).name
