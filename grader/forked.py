"""Run trusted work in a child process forked from a server that imported torch and pytest once.

``course audit`` (one tree per child) and ``course grade`` (one submission
per child) both run the suites in children of their own, several at once,
so that one that hangs or crashes takes nothing else with it, and each
starts in a fraction of a second: the children are forked from
multiprocessing's "forkserver", which has imported the heavy modules
already. A child reports by writing a JSON file, last and atomically; the
parent reads it with ``json`` (nothing is unpickled), and its presence
alone says the child finished.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

STATUS_LOST = 255
"""The exit status multiprocessing's fork server reports when it could not pass a child's on."""


def worker_context(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    """Fork children from a server that has ``preload`` imported ("forkserver"), where the OS has one."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return context


def run_child(
    context: multiprocessing.context.BaseContext,
    target: Callable[..., None],
    kwargs: dict[str, Any],
    *,
    out: Path,
    log: Path,
    time_limit: float,
) -> tuple[dict[str, Any] | None, str]:
    """Run ``target(**kwargs)`` in a child that writes its report to ``out`` and its output to ``log``.

    The child must lead its own session (``os.setsid()`` first), so that
    killing its group stops whatever it started.

    Returns:
        The report, or None and one line saying why there is none (the time
        limit, or the child's exit status and last line of output).
    """
    process = context.Process(target=target, kwargs=kwargs)
    deadline = time.monotonic() + time_limit
    process.start()
    process.join(time_limit)
    # Under load CPython's fork server can lose a child's exit status and report 255 at once,
    # while the child still runs (python/cpython#140867): then wait for the child itself.
    while process.exitcode == STATUS_LOST and _exists(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.is_alive() or (process.exitcode == STATUS_LOST and _exists(process.pid)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.join()
        return None, f"the worker ran longer than {time_limit:g} s and was stopped"
    if out.is_file():
        return json.loads(out.read_text(encoding="utf-8")), ""
    output = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    last = [line for line in output.splitlines() if line.strip()][-1:] or ["no output"]
    return None, f"the worker failed (exit {process.exitcode}) before writing its report: {last[0]}"


def become_child(log: str | Path) -> None:
    """The first steps of a child: lead its own session (so the parent can kill all it starts), die with its
    parent, run one torch thread (children share the cores), and send its output to ``log``."""
    os.setsid()
    die_with_parent()
    import torch

    torch.set_num_threads(1)
    with open(log, "w", encoding="utf-8") as stream:
        os.dup2(stream.fileno(), sys.stdout.fileno())
        os.dup2(stream.fileno(), sys.stderr.fileno())


def die_with_parent() -> None:
    """In a child: be killed when the process that started it ends (Linux; elsewhere nothing).

    A child leads its own session, so a parent killed outright (SIGKILL, a
    closed terminal) would leave it running; with this it stops too.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the parent ended before the call: nothing left to wait for
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _exists(pid: int) -> bool:
    """True while a process ``pid`` exists (the fork server reaps its children, so no zombies linger)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
