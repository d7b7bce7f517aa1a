"""The isolated implementation handle: ``impl`` for grading, with the student's code in a worker process.

In-process checks hand a test the student's modules themselves
(grader/implementation.py). Grading hands it an ``IsolatedImplementation``
instead: ``impl.a3`` is a proxy of the student's module in a worker process
(grader/grading/worker.py), and everything a test does with it (read a
name, call, iterate, compare, run ``backward``) is forwarded there. Tests,
the reference and the verdict stay in this process, so the student's code
never sees an expected value, never runs beside pytest, and cannot forge a
score. What comes back is read as data (grader/grading/wire.py): tensors
and plain containers, shared with the worker so that in-place changes
cross in both directions, and proxies (``RemoteObject``) for anything else.

A test that calls the student's code as it would in-process sees the same
behaviour, with three differences a suite must respect (the suites do):

- objects a test hands over must be tensors, plain data, or objects of
  torch or tests/stand_ins.py (the test's own classes live there, so the
  worker can rebuild them);
- ``backward`` through the student's outputs reaches the test's tensors
  through a bridge (``_Bridge``): gradients are computed in the worker and
  handed back;
- a student's exception comes back as the nearest built-in type with the
  same name and message (a ``ValueError`` stays a ``ValueError``), and a
  ``SystemExit`` or ``KeyboardInterrupt`` as ``StudentExit``.

Limits per test: a wall-clock deadline and a CPU-time budget, both kept
here; a worker that overruns either is killed (with its process group and
namespace) and the test fails with the reason. A worker that dies (exit,
crash, memory) fails the test it was running; the next test gets a new
worker.
"""

from __future__ import annotations

import builtins
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ..checking import TestTimeLimitExceeded
from ..course import Course
from ..implementation import ImplementationError, MissingNameError
from .sandbox import Isolation, LaunchPlan, WorkerLimits, apply_limits, give_to, plan_launch, remove_cgroup, stage_worker_code
from .wire import Peer, WireError, read_message, send_message


class WorkerLost(RuntimeError):
    """The worker ended while running the student's code (an exit, a crash, a limit)."""


class StudentExit(RuntimeError):
    """The student's code raised SystemExit, KeyboardInterrupt or another BaseException."""


class CPUTimeLimitExceeded(TestTimeLimitExceeded):
    """The student's code used more CPU time than one test may."""




class WorkerProcess:
    """One running worker: its process, its pipes, its cgroup and its working folder."""

    def __init__(self, plan_for: Callable[[int, int], LaunchPlan]) -> None:
        requests_read, self.requests = os.pipe()
        self.answers, answers_write = os.pipe()
        self.plan = plan_for(requests_read, answers_write)
        log = open(self.plan.working_directory / "worker.log", "wb")
        try:
            self.process = subprocess.Popen(
                self.plan.command,
                env=self.plan.environment,
                cwd=self.plan.working_directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=(requests_read, answers_write),
                preexec_fn=lambda: apply_limits(self.plan),
            )
        finally:
            log.close()
            os.close(requests_read)
            os.close(answers_write)
        self.alive = True
        self.cpu_budget: float | None = None
        self.cpu_ceiling: float | None = None
        """CPU seconds of the process tree at which the current test's budget runs out."""

    def exchange(
        self, message: dict[str, Any], tensors: list[torch.Tensor], *, deadline: float | None, wall_seconds: float | None = None
    ) -> tuple[dict[str, Any], list[torch.Tensor]]:
        """Send ``message`` and wait for the answer until ``deadline`` (time.monotonic()) or ``cpu_budget``
        CPU seconds of the worker's processes; the worker is killed when either runs out."""
        if deadline is not None and time.monotonic() > deadline:
            self.kill()
            raise _out_of_time(wall_seconds)
        try:
            send_message(self.requests, message, tensors)
        except OSError as error:
            raise self._lost(f"could not send to it ({error.strerror})") from None

        def read(fd: int, size: int) -> bytes:
            data = b""
            while len(data) < size:
                self._wait_readable(fd, deadline, wall_seconds)
                chunk = os.read(fd, min(size - len(data), 2**20))
                if not chunk:
                    raise self._lost("it ended while running your code")
                data += chunk
            return data

        try:
            return read_message(self.answers, read=read)
        except WireError as error:
            self.kill()
            raise WorkerLost(f"the worker's answer was unreadable ({error}); it was stopped") from None
        except BaseException:
            # A time limit, Ctrl-C, or the test's own alarm: the worker may still be busy with the student's code.
            self.kill()
            raise

    def limit_cpu(self, budget: float | None) -> None:
        """Allow ``budget`` more CPU seconds from now (None: no limit), until the next call."""
        self.cpu_budget = budget
        self.cpu_ceiling = self.cpu_seconds() + budget if budget is not None else None

    def _wait_readable(self, fd: int, deadline: float | None, wall_seconds: float | None) -> None:
        while True:
            timeout = 0.25
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    raise _out_of_time(wall_seconds)
                timeout = min(timeout, left)
            readable, _, _ = select.select([fd], [], [], timeout)
            if readable:
                return
            if self.cpu_ceiling is not None and self.cpu_seconds() > self.cpu_ceiling:
                self.kill()
                raise CPUTimeLimitExceeded(f"your code used more than {self.cpu_budget:g} s of CPU time in one test")
            if self.process.poll() is not None and not select.select([fd], [], [], 0)[0]:
                raise self._lost("it ended while running your code")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the worker and every process below it (from /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in _process_tree(self.process.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                continue
        return total / ticks

    def _lost(self, what: str) -> WorkerLost:
        # A worker that closed its pipe is ending on its own: its own exit status says more than our SIGKILL would.
        try:
            self.process.wait(timeout=_EXIT_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        status = self.kill()
        reason = _describe_status(status)
        return WorkerLost(f"the worker process running the submission's code stopped: {what}{reason}")

    def kill(self) -> int | None:
        """Kill the worker's whole process group (its sandbox with it); its exit status."""
        if self.alive:
            self.alive = False
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            for fd in (self.requests, self.answers):
                try:
                    os.close(fd)
                except OSError:
                    pass
        try:
            status = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            status = None
        remove_cgroup(self.plan.cgroup)
        return status


WORKER_START_SECONDS = 120.0
"""How long a new worker may take to start and answer (Python and torch imported), on a loaded machine."""
_EXIT_GRACE_SECONDS = 1.0
"""How long a worker that closed its pipe gets to exit by itself before it is killed."""


def _out_of_time(wall_seconds: float | None) -> TestTimeLimitExceeded:
    limit = f" of {wall_seconds:g} s" if wall_seconds is not None else ""
    return TestTimeLimitExceeded(f"the test ran longer than its time limit{limit} (an endless loop, or waiting forever?)")


class Session:
    """The trusted side of one submission's worker: requests, shared objects, restarts, limits."""

    def __init__(self, *, tree: Path, course: Course, isolation: Isolation, writable: list[Path], limits: WorkerLimits) -> None:
        self.tree = tree.resolve()
        self.course = course
        self.isolation = isolation
        self.limits = limits
        self.peer = Peer("trusted", make_proxy=self._proxy)
        self.scratch = Path(tempfile.mkdtemp(prefix="course-worker-"))
        self.code = stage_worker_code(self.scratch / "code")
        self.writable = writable
        self.modules = {record.id: record.module for record in course.assignments if record.module is not None}
        self.worker: WorkerProcess | None = None
        self.deadline: float | None = None
        self.wall_seconds: float | None = None
        self.cpu_budget: float | None = None
        self.starts = 0
        """How many workers were started (1 + restarts)."""

    # ------------------------------------------------------------ lifetime

    def begin_test(self, *, wall_seconds: float | None, cpu_seconds: float | None) -> None:
        """Start a test's limits; shared objects of the previous test are forgotten on both sides."""
        self.deadline = time.monotonic() + wall_seconds if wall_seconds is not None else None
        self.wall_seconds = wall_seconds
        self.cpu_budget = cpu_seconds
        self.peer.reset()
        if self.worker is not None and self.worker.alive:
            self.worker.limit_cpu(cpu_seconds)
            self._exchange({"op": "reset"})

    def end_test(self) -> None:
        self.deadline = None
        self.cpu_budget = None
        if self.worker is not None and self.worker.alive:
            self.worker.limit_cpu(None)
        self.peer.reset()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.kill()
            self.worker = None
        _remove_tree(self.scratch)

    def share(self, path: Path) -> None:
        """Let the worker write in ``path`` (a test's temporary folder, made by the grader): at the process level
        under root, the worker runs as ``nobody`` and the folder must become its own."""
        if self.isolation.level != "process" or self.isolation.user is None:
            return
        path = Path(path).resolve()
        # Only folders below the worker's writable ones (the tests' temporary folders): never a fixture's other paths.
        if any(folder.resolve() in path.parents for folder in self.writable):
            give_to(path, self.isolation.user)

    def _worker(self) -> WorkerProcess:
        if self.worker is None or not self.worker.alive:
            if self.worker is not None:
                self.peer.reset()
            working = self.scratch / f"work-{self.starts}"
            working.mkdir()

            def plan_for(requests: int, answers: int) -> LaunchPlan:
                return plan_launch(
                    isolation=self.isolation, tree=self.tree, modules=self.modules, code=self.code,
                    writable=[working, *self.writable], requests_fd=requests, answers_fd=answers, limits=self.limits,
                )

            self.worker = WorkerProcess(plan_for)
            self.starts += 1
            # Starting Python and importing torch is the grader's time, not the test's: wait for the
            # worker's first answer outside the test's limits, then move its deadline by as much.
            started = time.monotonic()
            try:
                self.worker.exchange({"op": "reset"}, [], deadline=started + WORKER_START_SECONDS)
            except TestTimeLimitExceeded:
                raise WorkerLost(f"the worker process did not start within {WORKER_START_SECONDS:g} s") from None
            if self.deadline is not None:
                self.deadline += time.monotonic() - started
            self.worker.limit_cpu(self.cpu_budget)
        return self.worker

    # ------------------------------------------------------------ requests

    def request(self, op: str, *arguments: Any, **fields: Any) -> Any:
        """Forward one operation; the decoded result, or the student's exception raised here."""
        keywords = fields.pop("kwargs", {})
        tensors: list[torch.Tensor] = []
        message: dict[str, Any] = {"op": op, **fields}
        message["args"] = [self.peer.encode(argument, tensors) for argument in arguments]
        message["kwargs"] = {name: self.peer.encode(value, tensors) for name, value in keywords.items()}
        message["updates"] = self.peer.changes(tensors)
        message["grad"] = torch.is_grad_enabled()
        tensors.append(torch.get_rng_state())
        message["rng"] = len(tensors) - 1
        self.peer.settle()
        answer, received = self._exchange(message, tensors)
        try:
            # In the order the worker wrote them: the result first (new objects inline), then updates that may name them.
            if answer.get("ok") is True:
                node = answer.get("result")
                result = self.peer.decode(node, received)
                bridged = _bridged_outputs(node)
            else:
                error = _rebuild_error(answer.get("error"))
                result, bridged = None, []
            self.peer.apply(_list(answer.get("updates", [])), received)
        except (WireError, TypeError, ValueError, KeyError, IndexError, RuntimeError) as problem:
            if self.worker is not None:
                self.worker.kill()
            raise WorkerLost(f"the worker's answer did not follow the protocol: {problem}") from None
        finally:
            self.peer.settle()
        rng = answer.get("rng")
        if isinstance(rng, int) and 0 <= rng < len(received):
            state = received[rng]
            if state.dtype == torch.uint8 and state.shape == torch.get_rng_state().shape:
                torch.set_rng_state(state)
        if answer.get("ok") is not True:
            raise error
        if bridged and torch.is_grad_enabled():
            result = self._bridge(result, bridged)
        return result

    def _exchange(self, message: dict[str, Any], tensors: list[torch.Tensor] | None = None) -> tuple[dict[str, Any], list[torch.Tensor]]:
        worker = self._worker()
        return worker.exchange(message, tensors or [], deadline=self.deadline, wall_seconds=self.wall_seconds)

    def _bridge(self, result: Any, outputs: list[int]) -> Any:
        """``result`` with the worker's outputs attached to this side's autograd graph (see ``_Bridge``)."""
        inputs = [
            wire_id for wire_id, kind in self.peer.kinds.items()
            if kind == "tensor" and wire_id % 2 == 0 and self.peer.objects[wire_id].requires_grad
        ]
        values = tuple(self.peer.objects[wire_id] for wire_id in outputs)
        # The anchor makes the outputs require grad even when only the worker's own parameters need gradients.
        leaves = [self.peer.objects[wire_id] for wire_id in inputs] + [torch.zeros(0, requires_grad=True)]
        attached = _Bridge.apply(self, tuple(outputs), tuple(inputs), values, *leaves)
        attached = attached if isinstance(attached, tuple) else (attached,)
        replaced = {id(value): tensor for value, tensor in zip(values, attached)}
        for wire_id, tensor in zip(outputs, attached):
            self.peer.replace(wire_id, tensor)
        self.peer.settle()
        return _replace_in(result, replaced)

    def _proxy(self, wire_id: int, type_name: str, bases: list[str]) -> RemoteObject:
        return RemoteObject(self, wire_id, type_name, bases)

    def module(self, assignment: str) -> RemoteObject:
        return self.request("module", assignment=assignment)


class _Bridge(torch.autograd.Function):
    """Outputs of the student's code, with a backward that runs in the worker.

    ``forward`` returns the outputs' values as they came; ``backward`` sends
    the incoming gradients to the worker, which runs its own graph back to
    its copies of this side's tensors and returns their gradients, which
    autograd then adds to this side's tensors.
    """

    @staticmethod
    def forward(ctx, session: Session, outputs: tuple[int, ...], inputs: tuple[int, ...], values: tuple[torch.Tensor, ...], *leaves: torch.Tensor):
        ctx.session, ctx.outputs, ctx.inputs = session, outputs, inputs
        copies = tuple(value.detach().clone() for value in values)
        return copies if len(copies) != 1 else copies[0]

    @staticmethod
    def backward(ctx, *gradients: torch.Tensor):
        grads = ctx.session.request("backward", tuple(ctx.outputs), tuple(gradients), tuple(ctx.inputs))
        found = list(grads) if isinstance(grads, (list, tuple)) else []
        found += [None] * (len(ctx.inputs) - len(found))
        return (None, None, None, None, *found[: len(ctx.inputs)], None)


class RemoteObject:
    """A proxy of an object in the worker: a student's module, class, function or instance.

    Attribute reads, calls, iteration, indexing, comparisons and ``with``
    are forwarded; ``isinstance(proxy, torch.nn.Module)`` holds when the
    remote object is a module. Its hash is its identity here.
    """

    __slots__ = ("_session", "_wire_id", "_type_name", "_bases", "__weakref__")

    def __init__(self, session: Session, wire_id: int, type_name: str, bases: list[str]) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_wire_id", wire_id)
        object.__setattr__(self, "_type_name", type_name)
        object.__setattr__(self, "_bases", bases)

    def _do(self, op: str, *arguments: Any, **fields: Any) -> Any:
        return self._session.request(op, self, *arguments, **fields)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(f"{self._type_name} proxy has no attribute {name!r}")
        return self._do("getattr", name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._do("setattr", value, name=name)

    def __delattr__(self, name: str) -> None:
        self._do("delattr", name=name)

    def __call__(self, *arguments: Any, **keywords: Any) -> Any:
        return self._do("call", *arguments, kwargs=keywords)

    def __len__(self) -> int:
        return self._do("special", name="len")

    def __iter__(self) -> Any:
        return self._do("special", name="iter")

    def __next__(self) -> Any:
        return self._do("special", name="next")

    def __getitem__(self, key: Any) -> Any:
        return self._do("special", key, name="getitem")

    def __setitem__(self, key: Any, value: Any) -> None:
        self._do("special", key, value, name="setitem")

    def __delitem__(self, key: Any) -> None:
        self._do("special", key, name="delitem")

    def __contains__(self, item: Any) -> bool:
        return bool(self._do("special", item, name="contains"))

    def __bool__(self) -> bool:
        return bool(self._do("special", name="bool"))

    def __repr__(self) -> str:
        text = self._do("special", name="repr")
        return text if isinstance(text, str) else f"<{self._type_name}>"

    def __str__(self) -> str:
        text = self._do("special", name="str")
        return text if isinstance(text, str) else f"<{self._type_name}>"

    def __dir__(self) -> list[str]:
        names = self._do("special", name="dir")
        return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []

    def __eq__(self, other: Any) -> Any:
        return self._do("special", other, name="eq")

    def __ne__(self, other: Any) -> Any:
        return self._do("special", other, name="ne")

    def __lt__(self, other: Any) -> Any:
        return self._do("special", other, name="lt")

    def __le__(self, other: Any) -> Any:
        return self._do("special", other, name="le")

    def __gt__(self, other: Any) -> Any:
        return self._do("special", other, name="gt")

    def __ge__(self, other: Any) -> Any:
        return self._do("special", other, name="ge")

    __hash__ = object.__hash__

    def __enter__(self) -> Any:
        return self._do("special", name="enter")

    def __exit__(self, *details: Any) -> Any:
        return self._do("special", *details, name="exit")

    def __instancecheck__(self, instance: Any) -> bool:
        return bool(self._session.request("special", self, instance, name="isinstance"))

    def __subclasscheck__(self, subclass: Any) -> bool:
        return bool(self._session.request("special", self, subclass, name="issubclass"))

    @property
    def __class__(self) -> type:
        return _claimed_class(self._type_name, tuple(self._bases))


_CLAIMED: dict[tuple[str, tuple[str, ...]], type] = {}


def _claimed_class(type_name: str, bases: tuple[str, ...]) -> type:
    """A stand-in class named like the remote type, subclassing the torch classes among its bases (for isinstance).

    A torch class is looked up among the modules already imported here, never imported by a name the worker sent.
    """
    key = (type_name, bases)
    if key not in _CLAIMED:
        claimed = [kind for kind in map(_loaded_torch_class, bases) if kind is not None]
        kept = [base for base in claimed if not any(other is not base and issubclass(other, base) for other in claimed)]
        _CLAIMED[key] = type(type_name.rsplit(".", 1)[-1], tuple(kept) or (RemoteObject,), {"__module__": "submission"})
    return _CLAIMED[key]


def _loaded_torch_class(name: str) -> type | None:
    """The torch class called ``name`` (``torch.nn.modules.linear.Linear``) if its module is imported here, else None."""
    module_name, _, qualname = name.rpartition(".")
    module = sys.modules.get(module_name) if module_name.split(".")[0] == "torch" else None
    kind = getattr(module, qualname, None) if module is not None and "." not in qualname else None
    return kind if isinstance(kind, type) and kind.__module__ == module_name else None


class IsolatedImplementation:
    """``impl`` for grading: ``impl.a3`` is the student's a3 module, living in the session's worker."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.root = session.tree

    def __repr__(self) -> str:
        return f"IsolatedImplementation({str(self.root)!r}, isolation={self.session.isolation.level!r})"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("a") and name[1:].isdigit():
            return self.module(name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}; use an assignment like 'a3'")

    def module(self, assignment: str | int) -> Any:
        record = self.session.course.assignment(assignment)
        if record.module is None:
            raise ImplementationError(f"assignment {record.id} has no code module (see course.toml)")
        return self.session.module(record.id)

    def path_of(self, assignment: str | int) -> Path:
        record = self.session.course.assignment(assignment)
        return self.root / record.id / f"{record.module}.py"


# ---------------------------------------------------------------------------
# Errors coming back
# ---------------------------------------------------------------------------

_BUILTIN_ERRORS = {
    f"builtins.{name}": value
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, Exception) and not issubclass(value, Warning)
}
_REBUILT: dict[tuple[str, type], type] = {}


def _rebuild_error(details: Any) -> Exception:
    """The exception to raise here for the worker's description of one (never a BaseException)."""
    if not isinstance(details, dict):
        return WorkerLost("the worker's answer was malformed")
    message = str(details.get("message", ""))
    kind = details.get("kind")
    if kind == "import":
        return ImplementationError(message)
    if kind == "missing-name":
        return MissingNameError(message)
    name = f"{details.get('module', '')}.{details.get('type', '')}"
    bases = [str(base) for base in details.get("bases", []) if isinstance(base, str)]
    error: Exception
    if name in _BUILTIN_ERRORS:
        error = _BUILTIN_ERRORS[name](message) if name != "builtins.KeyError" else KeyError(message)
    elif name.startswith("tests.stand_ins."):
        error = _stand_in_error(name, message)
    else:
        base = next((_BUILTIN_ERRORS[base] for base in bases if base in _BUILTIN_ERRORS), None)
        if base is None:
            return StudentExit(f"your code raised {details.get('type', 'an exception')}({message}), which ends a program; raise an Exception subclass instead")
        key = (str(details.get("type", "Error")), base)
        if key not in _REBUILT:
            _REBUILT[key] = type(key[0], (base,), {"__module__": "submission"})
        error = _REBUILT[key](message)
    where = details.get("where")
    if isinstance(where, str) and where:
        error.student_location = where  # type: ignore[attr-defined]
    return error


def _stand_in_error(name: str, message: str) -> Exception:
    """An exception class of tests/stand_ins.py (a test's own, raised by a stand-in model inside student code)."""
    import tests.stand_ins as stand_ins

    kind = getattr(stand_ins, name.removeprefix("tests.stand_ins."), None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        return kind(message)
    return RuntimeError(message)


def _replace_in(value: Any, replaced: dict[int, torch.Tensor]) -> Any:
    """``value`` with each tensor whose id() is in ``replaced`` swapped for its replacement, through tuples, lists and dicts."""
    if id(value) in replaced:
        return replaced[id(value)]
    if type(value) is tuple:
        return tuple(_replace_in(item, replaced) for item in value)
    if type(value) is list:
        value[:] = [_replace_in(item, replaced) for item in value]
    elif isinstance(value, dict):
        for key in list(value):
            value[key] = _replace_in(value[key], replaced)
    return value


def _bridged_outputs(node: Any) -> list[int]:
    """Wire ids of the tensors in an answer that carry the worker's autograd graph."""
    found: list[int] = []
    if isinstance(node, list) and node and node[0] == "tensor":
        if len(node) > 6 and node[6]:
            found.append(node[1])
    elif isinstance(node, list):
        for item in node:
            found += _bridged_outputs(item)
    return found


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise WireError("updates must be a list")
    return value


def _describe_status(status: int | None) -> str:
    if status is None:
        return ""
    if status < 0:
        name = signal.Signals(-status).name if -status in signal.Signals._value2member_map_ else str(-status)
        hints = {"SIGKILL": " (killed: the memory limit, or stopped by the grader)", "SIGXCPU": " (the CPU time limit)", "SIGSEGV": " (a crash)", "SIGXFSZ": " (wrote a file over the size limit)"}
        return f" (signal {name}){hints.get(name, '')}"
    return f" (exit status {status})"


def _process_tree(root: int) -> list[int]:
    """``root`` and every process below it, from /proc/<pid>/task/<tid>/children."""
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                queue += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
