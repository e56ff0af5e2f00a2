"""Fixtures for the integration tests: a real dev server, the Python SDK client, C worker programs
from the build directory, and a Python workflow worker.

Environment:
  TEMPORAL_C_BUILD_DIR   the CMake build directory holding the test programs (default: ./build)
  TEMPORAL_C_TEST_TARGET use this running server instead of starting a dev server
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Coroutine, Optional

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

import workflows

HERE = Path(__file__).resolve().parent
SOURCE_DIR = Path(os.environ.get("TEMPORAL_C_SOURCE_DIR", HERE.parents[1]))
BUILD_DIR = Path(os.environ.get("TEMPORAL_C_BUILD_DIR", SOURCE_DIR / "build"))

READY_TIMEOUT = 60.0  # a sanitizer build starts slower
STOP_TIMEOUT = 30.0  # SIGTERM -> exit 0
RUN_TIMEOUT = 90.0  # one coroutine run by the `run` fixture


def find_program(name: str) -> Optional[Path]:
    """A test program built in BUILD_DIR (tests/ for the integration programs)."""
    for candidate in (BUILD_DIR / "tests" / name, BUILD_DIR / "examples" / name, BUILD_DIR / name):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    for candidate in BUILD_DIR.glob(f"**/{name}"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def program_command(exe: Path, args) -> list:
    """The command line of a C program; TEMPORAL_C_TEST_WRAPPER (e.g. "valgrind --leak-check=full
    --error-exitcode=9") runs every long-lived C program under that tool."""
    wrapper = os.environ.get("TEMPORAL_C_TEST_WRAPPER", "").split()
    return [*wrapper, str(exe), *args]


def program_env() -> dict:
    env = dict(os.environ)
    # Harmless in a plain build; in the sanitizer build any report fails the program.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return env


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "WARNING: ThreadSanitizer")


def sanitizer_report(text: str) -> Optional[str]:
    for marker in SANITIZER_MARKERS:
        if marker in text:
            return marker
    return None


# ---- server, loop, client ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dev_server() -> str:
    """The target ("host:port") of a dev server for the whole session."""
    target = os.environ.get("TEMPORAL_C_TEST_TARGET")
    if target:
        yield target
        return
    state = tempfile.mkdtemp(prefix="temporal-c-it-")
    script = SOURCE_DIR / "scripts" / "devserver.sh"
    out = subprocess.run(
        [str(script), "start", "--dir", state, "--owner", str(os.getpid())],
        stdout=subprocess.PIPE,
        text=True,
        timeout=300,  # builds the server first if the cache is cold
    )
    if out.returncode != 0:
        log = Path(state, "server.log")
        pytest.fail(
            f"could not start the dev server:\n{log.read_text() if log.exists() else '(no log)'}"
        )
    try:
        yield out.stdout.strip()
    finally:
        subprocess.run([str(script), "stop", "--dir", state], timeout=60)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture
def other_dev_server() -> Callable[..., str]:
    """start(*devserver_options): a dev server of this test's own, set up differently from the session's
    (scripts/devserver.sh options, e.g. "--polls-outlive-shutdown"); its target. Stopped at the end."""
    states = []
    script = SOURCE_DIR / "scripts" / "devserver.sh"

    def start(*options: str) -> str:
        state = tempfile.mkdtemp(prefix="temporal-c-it-other-")
        states.append(state)
        out = subprocess.run(
            [str(script), "start", "--dir", state, "--owner", str(os.getpid()), *options],
            stdout=subprocess.PIPE,
            text=True,
            timeout=120,
        )
        if out.returncode != 0:
            log = Path(state, "server.log")
            pytest.fail(f"could not start a dev server {options}:\n{log.read_text() if log.exists() else '(no log)'}")
        return out.stdout.strip()

    yield start
    for state in states:
        alive = subprocess.run([str(script), "status", "--dir", state], capture_output=True).returncode == 0
        if not alive:  # it died under the test: say how, for whoever reads the failure
            log = Path(state, "server.log")
            print(f"dev server in {state} was no longer running; its log ends:\n"
                  f"{log.read_text(errors='replace')[-4000:] if log.exists() else '(no log)'}")
        subprocess.run([str(script), "stop", "--dir", state], timeout=60)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def loop() -> asyncio.AbstractEventLoop:
    """One event loop for the session: the client and the workflow workers live on it."""
    lp = asyncio.new_event_loop()
    yield lp
    lp.run_until_complete(lp.shutdown_asyncgens())
    lp.close()


@pytest.fixture(scope="session")
def client(dev_server: str, loop: asyncio.AbstractEventLoop) -> Client:
    return loop.run_until_complete(Client.connect(dev_server))


@pytest.fixture
def run(loop: asyncio.AbstractEventLoop) -> Callable[..., Any]:
    """run(coroutine, timeout=RUN_TIMEOUT): runs it on the session loop (background workers progress
    meanwhile) and returns its result."""

    def _run(coro: Coroutine, timeout: float = RUN_TIMEOUT) -> Any:
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))

    return _run


@pytest.fixture
def task_queue(request: pytest.FixtureRequest) -> str:
    """A task queue of this test's own."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", request.node.name)[:60]
    return f"{name}-{uuid.uuid4().hex[:8]}"


# ---- C programs ------------------------------------------------------------------------------------


@dataclass
class CProgram:
    """A running C program: stdout is read line by line in a thread, stderr goes to a file."""

    name: str
    args: list
    proc: subprocess.Popen
    stderr_path: Path
    lines: "queue.Queue[Optional[str]]" = field(default_factory=queue.Queue)
    stdout: list = field(default_factory=list)

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.stdout.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def describe(self) -> str:
        return (
            f"{self.name} {' '.join(self.args)} (pid {self.proc.pid}, exit {self.proc.poll()})\n"
            f"--- stdout ---\n{''.join(self.stdout)}--- stderr ---\n{self.stderr()}"
        )

    def wait_for_line(self, wanted: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {wanted!r} line within {timeout} s:\n{self.describe()}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=10)
                raise AssertionError(f"exited before printing {wanted!r}:\n{self.describe()}")
            if line.strip() == wanted:
                return

    def wait_for_prefix(self, prefix: str, timeout: float) -> str:
        """The first stdout line (so far or to come) that starts with `prefix`."""
        deadline = time.monotonic() + timeout
        while True:
            for line in list(self.stdout):
                if line.startswith(prefix):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"no line starting {prefix!r} within {timeout} s:\n{self.describe()}")
            if self.proc.poll() is not None and self.lines.empty():
                raise AssertionError(f"exited before printing {prefix!r}:\n{self.describe()}")
            time.sleep(0.05)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then the exit code; SIGKILL (and an AssertionError) when it does not exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(
                    f"did not exit within {timeout} s of SIGTERM (killed):\n{self.describe()}"
                )
        return self.proc.returncode


class CPrograms:
    """Starts C programs from the build directory and stops whatever is still running at the end."""

    def __init__(self, tmp_path: Path, loop: asyncio.AbstractEventLoop) -> None:
        self.tmp_path = tmp_path
        self.loop = loop
        self.started: list[CProgram] = []

    def path(self, name: str) -> Path:
        if "/" in name:  # an explicit path rather than a program of the build directory
            return Path(name)
        exe = find_program(name)
        if exe is None:
            pytest.fail(f"{name} is not built in {BUILD_DIR} (set TEMPORAL_C_BUILD_DIR)")
        return exe

    def start(
        self, name: str, *args: str, ready: Optional[str] = "READY", env: Optional[dict] = None
    ) -> CProgram:
        exe = self.path(name)
        stderr_path = self.tmp_path / f"{Path(name).name}-{len(self.started)}.stderr"
        with open(stderr_path, "wb") as err:
            proc = subprocess.Popen(
                program_command(exe, args),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env={**program_env(), **(env or {})},
            )
        prog = CProgram(Path(name).name, list(args), proc, stderr_path)
        self.started.append(prog)
        threading.Thread(target=prog._pump, daemon=True).start()
        if ready is not None:
            prog.wait_for_line(ready, READY_TIMEOUT)
        return prog

    def run(
        self, name: str, *args: str, timeout: float = 120.0, env: Optional[dict] = None
    ) -> subprocess.CompletedProcess:
        """Runs a program to its end; returns the completed process (stdout and stderr as text).
        The session loop runs meanwhile, so Python workflow workers serve what the program starts."""
        exe = self.path(name)
        return self.loop.run_until_complete(
            asyncio.to_thread(
                subprocess.run,
                [str(exe), *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**program_env(), **(env or {})},
            )
        )

    def stop_all(self) -> list[str]:
        problems = []
        for prog in self.started:
            try:
                code = prog.stop()
            except AssertionError as exc:
                problems.append(str(exc))
                continue
            if code != 0:
                problems.append(f"exited with {code} after SIGTERM:\n{prog.describe()}")
                continue
            marker = sanitizer_report(prog.stderr())
            if marker:
                problems.append(f"sanitizer report ({marker}):\n{prog.describe()}")
        return problems


@pytest.fixture
def c_programs(tmp_path: Path, loop: asyncio.AbstractEventLoop) -> CPrograms:
    """Starts C programs; at the end each must exit 0 within STOP_TIMEOUT of SIGTERM."""
    programs = CPrograms(tmp_path, loop)
    yield programs
    problems = programs.stop_all()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


# ---- the usual environment: C activity worker + Python workflow worker ----------------------------


@dataclass
class Env:
    client: Client
    target: str
    task_queue: str
    run: Callable[..., Any]
    c_worker: Optional[CProgram] = None

    def run_activity(self, activity: str, *args: Any, **request: Any) -> dict:
        """Runs the RunActivity workflow: {"result": ...} or {"error": {...}}."""
        return self.run(self.run_activity_async(activity, *args, **request))

    async def run_activity_async(self, activity: str, *args: Any, **request: Any) -> dict:
        request = {"activity": activity, "args": list(args), **request}
        return await self.client.execute_workflow(
            workflows.RunActivity.run,
            request,
            id=f"run-{activity}-{uuid.uuid4().hex}",
            task_queue=self.task_queue,
            execution_timeout=timedelta(seconds=80),
        )

    def result(self, activity: str, *args: Any, **request: Any) -> Any:
        outcome = self.run_activity(activity, *args, **request)
        assert "error" not in outcome, f"{activity} failed: {outcome['error']}"
        return outcome["result"]

    def error(self, activity: str, *args: Any, **request: Any) -> dict:
        outcome = self.run_activity(activity, *args, **request)
        assert "error" in outcome, f"{activity} succeeded unexpectedly: {outcome['result']!r}"
        return outcome["error"]


@pytest.fixture
def restartable_server(tmp_path: Path):
    """A dev server of the test's own that it may stop, kill and start again (servers.py)."""
    from servers import RestartableServer

    server = RestartableServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def workflow_workers(client: Client, loop: asyncio.AbstractEventLoop) -> Callable[[str], Worker]:
    """start(task_queue, on=None): a Python workflow worker (no activities) on that queue, running in
    the background until the test ends; `on` is another server's client (default: the session's)."""
    started = []

    def start(queue_name: str, on: Optional[Client] = None) -> Worker:
        async def make() -> Worker:  # the worker wants a running loop when it is made
            return Worker(on or client, task_queue=queue_name, workflows=workflows.ALL)

        worker = loop.run_until_complete(make())
        started.append((worker, loop.create_task(worker.run())))
        return worker

    yield start
    for worker, task in started:
        loop.run_until_complete(asyncio.wait_for(worker.shutdown(), 60))
        loop.run_until_complete(asyncio.wait_for(task, 60))


@pytest.fixture
def workflow_worker(task_queue: str, workflow_workers: Callable[[str], Worker]) -> Worker:
    """A Python workflow worker (no activities) on the test's task queue, running in the background."""
    return workflow_workers(task_queue)


@pytest.fixture
def worker_args() -> list:
    """Extra arguments for the C worker of the `env` fixture (override in a test module)."""
    return []


@pytest.fixture
def env(
    client: Client,
    dev_server: str,
    task_queue: str,
    run: Callable[..., Any],
    c_programs: CPrograms,
    workflow_worker: Worker,
    worker_args: list,
) -> Env:
    """The C test_worker and a Python workflow worker serving the test's own task queue."""
    worker = c_programs.start(
        "test_worker", "--target", dev_server, "--task-queue", task_queue, *worker_args
    )
    return Env(client=client, target=dev_server, task_queue=task_queue, run=run, c_worker=worker)
