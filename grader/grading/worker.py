"""The isolated worker: the only process in which a submission's code runs.

Started by grader/grading/sandbox.py inside its sandbox, with this package,
wire.py and tests/stand_ins.py copied into a folder of their own (the
repository, solutions/ and the hidden tests are not there to import), the
submission's tree mounted read-only, and two pipes: requests come in on one,
answers go out on the other (grader/grading/wire.py says how they are
written). The trusted process sends what a test does with the student's
code (import an assignment's module, read an attribute, call, iterate,
run a backward pass) and gets back values, shared objects and references.

Nothing here is trusted: student code runs in this very process, so it may
patch this loop, write on the pipes or exit. That is why the grader reads
every answer as data the student controls and keeps the verdict to itself.
A student's exception comes back as its type's names, message and the
``file:line`` in the submission where it was raised; ``SystemExit``,
``KeyboardInterrupt`` and other BaseExceptions come back the same way
instead of ending the worker.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.machinery
import importlib.util
import operator
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import torch

from .wire import Peer, read_message, send_message

PACKAGE = "submission"
"""The import name of the submission's tree inside the worker."""

MESSAGE_LIMIT = 20_000
"""Longest exception message sent back (characters)."""

# The special methods a proxy forwards, and what the worker calls for each.
SPECIAL = {
    "len": len,
    "iter": iter,
    "next": next,
    "getitem": operator.getitem,
    "setitem": operator.setitem,
    "delitem": operator.delitem,
    "contains": operator.contains,
    "repr": repr,
    "str": str,
    "bool": bool,
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "dir": dir,
    "isinstance": lambda kind, value: isinstance(value, kind),
    "issubclass": lambda kind, value: issubclass(value, kind),
    "enter": lambda value: type(value).__enter__(value),
    "exit": lambda value, *details: type(value).__exit__(value, *details),
}


class Worker:
    """Answers requests against the tree at ``root`` until the input closes."""

    def __init__(self, root: Path, modules: dict[str, str]) -> None:
        self.root = root
        self.modules = modules
        """Assignment id -> module name (``{"a3_attention": "attention"}``)."""
        self.peer = Peer("worker")
        self.outputs: dict[int, torch.Tensor] = {}

    def answer(self, request: dict[str, Any], tensors_in: list[torch.Tensor]) -> tuple[dict[str, Any], list[torch.Tensor]]:
        """The answer to ``request`` and the tensors it carries."""
        tensors: list[torch.Tensor] = []
        try:
            if request.get("op") == "reset":
                self.peer.reset()
                self.outputs.clear()
                return {"ok": True, "result": None, "updates": []}, []
            # In the order the trusted side wrote them: new objects travel inline in the arguments, and updates may name them.
            arguments = [self.peer.decode(node, tensors_in) for node in request.get("args", [])]
            keywords = {str(name): self.peer.decode(node, tensors_in) for name, node in request.get("kwargs", {}).items()}
            self.peer.apply(request.get("updates", []), tensors_in)
            self.peer.settle()
            rng = request.get("rng")
            if isinstance(rng, int) and 0 <= rng < len(tensors_in):
                torch.set_rng_state(tensors_in[rng])
            with torch.set_grad_enabled(bool(request.get("grad", False))):
                result = self.run(request, arguments, keywords)
            node = self.peer.encode(result, tensors)
            self._keep_graph(node)
            answer = {"ok": True, "result": node}
        except BaseException as error:  # student code may raise anything, SystemExit included
            tensors.clear()
            answer = {"ok": False, "error": self.describe(error)}
        answer["updates"] = self.peer.changes(tensors)
        # The test's global RNG goes on from where the student's code left it, as it would in one process.
        tensors.append(torch.get_rng_state())
        answer["rng"] = len(tensors) - 1
        self.peer.settle()
        return answer, tensors

    def run(self, request: dict[str, Any], arguments: list[Any], keywords: dict[str, Any]) -> Any:
        op = request.get("op")
        if op == "module":
            return self.import_module(str(request["assignment"]))
        if op == "backward":
            return self.backward(arguments[0], arguments[1], arguments[2])
        target = arguments[0]
        if op == "getattr":
            name = str(request["name"])
            if isinstance(target, type(sys)) and target.__name__.startswith(PACKAGE + ".") and not hasattr(target, name):
                location = "/".join(target.__name__.split(".")[-2:]) + ".py"
                raise _MissingName(f"{location} has no `{name}` (renamed or deleted?)")
            return getattr(target, name)
        if op == "setattr":
            setattr(target, str(request["name"]), arguments[1])
            return None
        if op == "delattr":
            delattr(target, str(request["name"]))
            return None
        if op == "call":
            return target(*arguments[1:], **keywords)
        if op == "special":
            return SPECIAL[str(request["name"])](target, *arguments[1:])
        raise ValueError(f"unknown request {op!r}")

    def import_module(self, assignment: str) -> Any:
        module = self.modules.get(assignment)
        if module is None:
            raise _ImportProblem(f"{assignment} is not an assignment with code")
        path = self.root / assignment / f"{module}.py"
        if not path.is_file():
            raise _ImportProblem(f"{assignment}/{module}.py is missing (looked in the submission)")
        _ensure_package(self.root)
        try:
            return importlib.import_module(f"{PACKAGE}.{assignment}.{module}")
        except SyntaxError as error:
            where = f"{_relative(error.filename, self.root)}:{error.lineno}" if error.lineno else path.name
            raise _ImportProblem(f"{assignment}/{module}.py cannot be imported: SyntaxError at {where}: {error.msg}") from None
        except BaseException as error:  # anything the student's module raises while importing
            frame = _deepest_frame(error.__traceback__, self.root)
            where = f" (at {frame})" if frame else ""
            raise _ImportProblem(f"{assignment}/{module}.py cannot be imported: {type(error).__name__}: {error}{where}") from None

    def backward(self, outputs: list[int], gradients: list[Any], inputs: list[int]) -> list[Any]:
        """Run the backward pass of earlier answers' outputs; the gradients of the trusted side's tensors ``inputs``.

        Those tensors' own ``.grad`` is left as it was: the trusted side's
        autograd adds the returned gradients to its tensors itself.
        """
        kept = [(self.outputs[wire_id], gradient) for wire_id, gradient in zip(outputs, gradients) if wire_id in self.outputs and gradient is not None]
        leaves = [self.peer.objects[wire_id] for wire_id in inputs]
        before = [leaf.grad for leaf in leaves]
        for leaf in leaves:
            leaf.grad = None
        if kept:
            torch.autograd.backward([output for output, _ in kept], [gradient for _, gradient in kept])
        found = [leaf.grad for leaf in leaves]
        for leaf, grad in zip(leaves, before):
            leaf.grad = grad
        return found

    def _keep_graph(self, node: Any) -> None:
        """Remember the outputs of an answer that carry a graph, for a later ``backward``."""
        if isinstance(node, list) and node and node[0] == "tensor" and node[6]:
            self.outputs[node[1]] = self.peer.objects[node[1]]
        elif isinstance(node, list):
            for item in node:
                self._keep_graph(item)

    def describe(self, error: BaseException) -> dict[str, Any]:
        """What the trusted side needs to raise the same kind of error: names, message, where."""
        try:
            message = str(error)
        except BaseException:  # a student's __str__ may raise too
            message = "<the exception's message could not be read>"
        kind = "missing-name" if isinstance(error, _MissingName) else "import" if isinstance(error, _ImportProblem) else "raised"
        return {
            "kind": kind,
            "type": type(error).__qualname__,
            "module": type(error).__module__,
            "bases": [f"{base.__module__}.{base.__qualname__}" for base in type(error).__mro__],
            "message": message[:MESSAGE_LIMIT],
            "where": _deepest_frame(error.__traceback__, self.root) or "",
        }


class _ImportProblem(Exception):
    """The assignment's module cannot be imported; the trusted side raises ImplementationError."""


class _MissingName(AttributeError):
    """A test asked a module for a name it lacks; the trusted side raises MissingNameError."""


def _ensure_package(root: Path) -> None:
    if PACKAGE in sys.modules:
        return
    spec = importlib.machinery.ModuleSpec(PACKAGE, None, is_package=True)
    spec.submodule_search_locations = [str(root)]
    sys.modules[PACKAGE] = importlib.util.module_from_spec(spec)


def _relative(filename: str | None, root: Path) -> str:
    if not filename:
        return "?"
    path = Path(filename)
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name


def _deepest_frame(trace: Any, root: Path) -> str | None:
    inside = [frame for frame in traceback.extract_tb(trace) if frame.filename and Path(frame.filename).is_relative_to(root)]
    return f"{_relative(inside[-1].filename, root)}:{inside[-1].lineno}" if inside else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a submission's code for the trusted grader (see grader/grading/worker.py).")
    parser.add_argument("--tree", required=True, type=Path)
    parser.add_argument("--module", action="append", default=[], help="ASSIGNMENT=MODULE, once per assignment with code")
    parser.add_argument("--requests", type=int, required=True, help="file descriptor of the requests pipe")
    parser.add_argument("--answers", type=int, required=True, help="file descriptor of the answers pipe")
    options = parser.parse_args(argv)
    torch.set_num_threads(1)
    modules = dict(item.split("=", 1) for item in options.module)
    worker = Worker(options.tree.resolve(), modules)
    requests, answers = options.requests, options.answers
    while True:
        try:
            request, tensors = read_message(requests)
        except Exception:  # the grader closed the pipe: this worker's work is over
            return
        send_message(answers, *worker.answer(request, tensors))


if __name__ == "__main__":
    os.umask(0o077)
    main()
