"""How a worker process is started: the isolation level, its limits, and what it can see.

Two levels, the strongest the machine allows unless one is asked for:

- ``sandbox``: bubblewrap (``bwrap``, Debian's ``bubblewrap`` package). The
  worker runs as ``nobody`` in its own user, PID, network, IPC and UTS
  namespaces: no network at all, no other process to see or signal, and a
  file system made of the system's read-only folders, the Python
  installation, the worker's code, the submission (read-only) and two
  writable folders (its working folder and the tests' temporary folder).
  The repository, solutions/, the hidden tests, other submissions and the
  grader's output are not there. Killing the worker ends everything it
  started (``--die-with-parent``, and the PID namespace goes with its first
  process).
- ``process``: a plain child process with the same limits but the machine's
  file system and network: used where bubblewrap is missing or cannot make
  namespaces (some containers). Results name the level, and ``course
  grade`` warns.

Limits at both levels (``WorkerLimits``): address space (course.toml's
``memory_limit_mb``), file size, open files, CPU seconds for the worker's
life, a process count (a cgroup ``pids.max`` where the grader may create
one, else ``RLIMIT_NPROC``, which the kernel does not apply to root), a
scrubbed environment, one thread for torch, and a new session so the
process group can be killed at once. The per-test wall-clock and CPU limits
are kept by the trusted side (grader/grading/remote.py), which kills the
worker when a test exceeds them.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import stat
import site
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CourseError
from ..paths import REPOSITORY

NOBODY = (65534, 65534)
"""uid and gid of ``nobody``: who the worker is inside the sandbox, and at the process level under root."""

LEVELS = ("sandbox", "process")
"""Isolation levels, strongest first."""

# What the worker imports besides torch and numpy: copied into a folder of its own, so the
# repository (solutions/, tests/hidden/) need not be visible to it.
WORKER_FILES = {
    "grader/__init__.py": None,
    "grader/grading/__init__.py": None,
    "grader/grading/wire.py": REPOSITORY / "grader" / "grading" / "wire.py",
    "grader/grading/worker.py": REPOSITORY / "grader" / "grading" / "worker.py",
    "tests/__init__.py": None,
    "tests/stand_ins.py": REPOSITORY / "tests" / "stand_ins.py",
}

_CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))


class SandboxError(CourseError):
    """The isolation level asked for is not available here."""


@dataclass(frozen=True)
class WorkerLimits:
    """What one worker process may use."""

    memory_mb: int = 4096
    """Address-space limit (RLIMIT_AS), MiB."""
    file_size_mb: int = 64
    """Largest file the worker may write (RLIMIT_FSIZE), MiB."""
    open_files: int = 256
    """RLIMIT_NOFILE."""
    processes: int = 64
    """Processes and threads the worker may have at once."""
    cpu_seconds: int = 3600
    """CPU time over the worker's whole life (RLIMIT_CPU); per test the trusted side keeps a tighter one."""


@dataclass
class Isolation:
    """The level chosen for a grading run and what it provides."""

    level: str
    """``"sandbox"`` or ``"process"``."""
    notes: list[str] = field(default_factory=list)
    """One line per guarantee it has or lacks, for the results and the warning."""
    user: tuple[int, int] | None = None
    """At the process level under root: the (uid, gid) the worker switches to (``nobody``); None to keep the grader's."""


@dataclass
class LaunchPlan:
    """Everything ``subprocess.Popen`` needs to start one worker."""

    command: list[str]
    environment: dict[str, str]
    working_directory: Path
    cgroup: Path | None
    limits: WorkerLimits
    user: tuple[int, int] | None = None
    """(uid, gid) the worker switches to before it starts, or None to run as the grader."""

    @property
    def process_limit(self) -> int:
        """RLIMIT_NPROC counts every process of the user, so the worker's allowance is added to what runs already."""
        return self.limits.processes + _processes_of(self.user[0] if self.user else os.getuid())


def choose_isolation(requested: str = "auto") -> Isolation:
    """The isolation level for ``requested`` (``"auto"``, ``"sandbox"`` or ``"process"``).

    Raises:
        SandboxError: ``"sandbox"`` asked for where bubblewrap cannot run, or an unknown level.
    """
    if requested not in ("auto", *LEVELS):
        raise SandboxError(f"unknown isolation level {requested!r}; choose auto, {', '.join(LEVELS)}")
    process_note = _process_limit_note()
    if requested in ("auto", "sandbox"):
        problem = bubblewrap_problem()
        if problem is None:
            return Isolation("sandbox", ["no network", "no view of the repository, solutions, hidden tests or other submissions", "runs as nobody", process_note])
        if requested == "sandbox":
            raise SandboxError(f"isolation level 'sandbox' is not available: {problem}")
        return _process_level(f"weaker isolation: {problem}", process_note)
    return _process_level("weaker isolation, as asked", process_note)


def _process_level(why: str, process_note: str) -> Isolation:
    """The process level, as ``nobody`` where the grader is root and ``nobody`` can run this Python."""
    notes = [why, "the worker can read the machine's files and use the network", process_note]
    if os.geteuid() != 0:
        return Isolation("process", notes)
    problem = nobody_problem()
    if problem is None:
        return Isolation("process", [*notes, "runs as nobody"], user=NOBODY)
    return Isolation("process", [*notes, f"runs as root: {problem}"])


def nobody_problem() -> str | None:
    """Why a worker cannot run as ``nobody`` here (its Python or torch unreadable to it), or None when it can."""
    global _NOBODY_PROBLEM
    if _NOBODY_PROBLEM is _UNKNOWN:
        trial = [sys.executable, "-I", "-c", "import torch"]
        try:
            completed = subprocess.run(trial, capture_output=True, timeout=120, cwd="/", preexec_fn=lambda: _become(NOBODY))
            failed = completed.returncode != 0
            reason = completed.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {completed.returncode}"]
        except (OSError, subprocess.SubprocessError) as error:
            failed, reason = True, [str(error)]
        _NOBODY_PROBLEM = f"nobody cannot run {sys.executable} with torch ({reason[0]})" if failed else None
    return _NOBODY_PROBLEM  # type: ignore[return-value]


def give_to(folder: Path, user: tuple[int, int]) -> None:
    """Make ``folder`` and everything in it belong to ``user`` (a worker running as ``user`` may write there),
    and the temporary folders above it enterable (see ``make_enterable``)."""
    for parent, folders, files in os.walk(folder):
        for name in (parent, *(os.path.join(parent, item) for item in folders + files)):
            os.chown(name, *user, follow_symlinks=False)
    make_enterable(Path(folder))


def make_enterable(path: Path) -> None:
    """Let other users enter (not list) every folder above ``path`` inside the temporary folder: ``mkdtemp``
    makes them private, and a worker running as ``nobody`` must reach its tree, its code and its folders."""
    temporary = Path(tempfile.gettempdir()).resolve()
    for above in Path(path).resolve().parents:
        if above == temporary or temporary not in above.parents:
            break
        mode = above.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(above, stat.S_IMODE(mode) | stat.S_IXOTH)


def _become(user: tuple[int, int]) -> None:
    """Switch this process to ``user`` for good: no supplementary groups, then the group, then the user."""
    os.setgroups([])
    os.setgid(user[1])
    os.setuid(user[0])


def bubblewrap_problem() -> str | None:
    """Why bubblewrap cannot sandbox a worker here, or None when it can (it is tried once)."""
    global _BUBBLEWRAP_PROBLEM
    if _BUBBLEWRAP_PROBLEM is not _UNKNOWN:
        return _BUBBLEWRAP_PROBLEM
    executable = shutil.which("bwrap")
    if executable is None:
        _BUBBLEWRAP_PROBLEM = "bubblewrap (bwrap) is not installed; on Debian or Ubuntu: apt-get install bubblewrap"
        return _BUBBLEWRAP_PROBLEM
    trial = [executable, *_namespace_flags(), *_system_binds(), "--", sys.executable, "-I", "-c", "pass"]
    try:
        completed = subprocess.run(trial, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        _BUBBLEWRAP_PROBLEM = f"bwrap could not start: {error}"
        return _BUBBLEWRAP_PROBLEM
    if completed.returncode != 0:
        reason = completed.stderr.decode(errors="replace").strip().splitlines()
        _BUBBLEWRAP_PROBLEM = f"bwrap cannot create namespaces here: {reason[-1] if reason else f'exit {completed.returncode}'}"
        return _BUBBLEWRAP_PROBLEM
    _BUBBLEWRAP_PROBLEM = None
    return None


_UNKNOWN = object()
_BUBBLEWRAP_PROBLEM: object = _UNKNOWN
_NOBODY_PROBLEM = _UNKNOWN


def stage_worker_code(destination: Path) -> Path:
    """Copy the worker's own code into ``destination`` (a folder put first on its ``sys.path``)."""
    for relative, source in WORKER_FILES.items():
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source is None:
            target.write_text('"""The isolated worker\'s copy of the package (see grader/grading/sandbox.py)."""\n')
        else:
            shutil.copyfile(source, target)
    return destination


def plan_launch(
    *,
    isolation: Isolation,
    tree: Path,
    modules: dict[str, str],
    code: Path,
    writable: Sequence[Path],
    requests_fd: int,
    answers_fd: int,
    limits: WorkerLimits,
) -> LaunchPlan:
    """The command that starts a worker on ``tree`` at ``isolation``'s level.

    ``code`` is the folder made by ``stage_worker_code``; ``writable`` the
    folders the worker may write (its working folder first).
    """
    working = writable[0]
    python = [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(code)!r}); from grader.grading.worker import main; main()"]
    python += ["--tree", str(tree), "--requests", str(requests_fd), "--answers", str(answers_fd)]
    python += [f"--module={assignment}={module}" for assignment, module in modules.items()]
    environment = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(working),
        "TMPDIR": str(working),
        "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    if isolation.level == "process":
        if isolation.user is not None:
            for folder in writable:
                give_to(folder, isolation.user)
            make_enterable(code)
            make_enterable(tree)
        return LaunchPlan(python, environment, working, _make_cgroup(limits), limits, user=isolation.user)
    command = [shutil.which("bwrap") or "bwrap", *_namespace_flags(), *_system_binds()]
    command += ["--ro-bind", str(code), str(code), "--ro-bind", str(tree), str(tree)]
    for folder in writable:
        command += ["--bind", str(folder), str(folder)]
    command += ["--chdir", str(working), "--clearenv"]
    for name, value in environment.items():
        command += ["--setenv", name, value]
    command += ["--", *python]
    return LaunchPlan(command, environment, working, _make_cgroup(limits), limits)


def apply_limits(plan: LaunchPlan) -> None:
    """In the child, before exec: a new session, the resource limits, the cgroup. (A ``preexec_fn``.)"""
    os.setsid()
    limits = plan.limits
    for limit, value in (
        (resource.RLIMIT_AS, limits.memory_mb * 2**20),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * 2**20),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_NPROC, plan.process_limit),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(limit, (value, value))
    if plan.cgroup is not None:
        (plan.cgroup / "cgroup.procs").write_text("0")
    if plan.user is not None:
        _become(plan.user)


def remove_cgroup(cgroup: Path | None, *, patience: float = 5.0) -> None:
    """Kill whatever is still in a worker's cgroup, then remove it (the kernel refuses while a process is left).

    The group's processes include any that left the worker's process group
    (a ``setsid`` in the student's code) and the sandbox's inner processes,
    which end a moment after the outer bwrap; ``patience`` seconds are given
    for them to go.
    """
    if cgroup is None:
        return
    deadline = time.monotonic() + patience
    while True:
        for pid in _read(cgroup / "cgroup.procs").split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError, ValueError):
                pass
        try:
            cgroup.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)


def _namespace_flags() -> list[str]:
    return ["--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534", "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]


def _system_binds() -> list[str]:
    """Read-only binds of the system folders and of the Python installation (interpreter, venv, site-packages)."""
    folders = [Path(folder) for folder in ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc")]
    folders += [Path(sys.base_prefix), Path(sys.prefix), *map(Path, site.getsitepackages())]
    binds: list[str] = []
    seen: list[Path] = []
    for folder in folders:
        if not folder.exists() or any(folder == done or folder.is_relative_to(done) for done in seen):
            continue
        seen.append(folder)
        binds += ["--ro-bind", str(folder), str(folder)]
    return binds


def _make_cgroup(limits: WorkerLimits) -> Path | None:
    """A fresh cgroup with ``pids.max`` for one worker, where the grader may create one; else None."""
    for root in _CGROUP_ROOTS:
        if not (root / "pids.max").exists() and not (root / "cgroup.procs").exists():
            continue
        if root == Path("/sys/fs/cgroup") and "pids" not in _read(root / "cgroup.subtree_control"):
            continue
        try:
            folder = Path(tempfile.mkdtemp(prefix="course-grade-", dir=root))
            (folder / "pids.max").write_text(str(limits.processes))
            return folder
        except OSError:
            continue
    return None


def _process_limit_note() -> str:
    probe = _make_cgroup(WorkerLimits())
    if probe is not None:
        remove_cgroup(probe)
        return "process count limited by a cgroup (pids.max)"
    if os.geteuid() == 0:
        return "no enforced process count limit: no writable pids cgroup, and RLIMIT_NPROC does not bind root"
    return "process count limited by RLIMIT_NPROC"


def _processes_of(uid: int) -> int:
    """How many processes ``uid`` has now."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                pass
    return count


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
