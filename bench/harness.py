"""The moving parts of the benchmark (bench/bench.py): the dev server, the proxies, the workers under
test, CPU and memory readings from /proc, and the client calls that enqueue and inspect standalone
activities.

Cores: on a machine with two or more, the dev server and the proxies run on core 0 and the worker on
core 1 (taskset), so the worker's CPU time and the server's do not mix, and the driver moves its own
threads to core 1 while it enqueues (no worker runs then) and to core 0 while a worker runs.
"""

from __future__ import annotations

import asyncio
import os
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
from typing import Optional

from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.workflowservice.v1 import (
    CountActivityExecutionsRequest,
    DescribeActivityExecutionRequest,
    ListActivityExecutionsRequest,
)
from temporalio.client import Client
from temporalio.common import RetryPolicy

ROOT = Path(__file__).resolve().parents[1]
TWO_CORES = len(os.sched_getaffinity(0)) >= 2
SERVER_CORE = "0"
WORKER_CORE = "1"

# ActivityExecutionStatus values (temporal/api/enums/v1/activity.proto).
STATUS_NAMES = {1: "running", 2: "completed", 3: "failed", 4: "canceled", 5: "terminated", 6: "timed_out"}


def pinned(core: str, argv: list) -> list:
    """argv run on one core (taskset execs it: the pid is the program's)."""
    return ["taskset", "-c", core, *argv] if TWO_CORES else list(argv)


def pin_self(core: str) -> None:
    """Moves every thread of this process (the SDK client's Rust threads too) to one core."""
    if not TWO_CORES:
        return
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), {int(core)})
        except OSError:
            pass  # a thread that just ended


def unpin_self() -> None:
    if not TWO_CORES:
        return
    every = set(range(os.cpu_count() or 1))
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), every)
        except OSError:
            pass


# ---- /proc ------------------------------------------------------------------------------------------


def process_tree(pid: int) -> list:
    """pid and every descendant (the process pool's zygote and children)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_clock_ns(pid: int) -> Optional[int]:
    """The process's CPU time (user + system, every thread, in ns): the clock clock_getcpuclockid(pid)
    names, i.e. the utime + stime /proc/<pid>/stat shows in clock ticks, at full resolution."""
    try:
        return time.clock_gettime_ns(((~pid) << 3) | 2)  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
    except OSError:
        return None


def stat_cpu_ticks(pid: int) -> Optional[int]:
    """utime + stime from /proc/<pid>/stat, in clock ticks (a cross-check of cpu_clock_ns)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def memory_kib(pids: list) -> tuple:
    """(sum of VmRSS, sum of Pss) over pids, in KiB. Pss shares each page among the processes that map
    it, so it does not count a forked child's copy-on-write pages twice."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return rss, pss


def thread_count(pids: list) -> int:
    n = 0
    for pid in pids:
        try:
            n += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass
    return n


class CpuSampler:
    """Samples the CPU time of a process tree every `period` s on a thread of its own: (wall time,
    ns). cpu_at(t) interpolates between the samples around t."""

    def __init__(self, pid: int, period: float = 0.01) -> None:
        self.pid, self.period = pid, period
        self.samples: list = []
        self._stop = threading.Event()
        self._tree = [pid]
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_tree = 0.0
        while not self._stop.is_set():
            now = time.time()
            if now >= next_tree:  # the process pool's children appear after the start
                self._tree = process_tree(self.pid)
                next_tree = now + 0.5
            total = 0
            for p in self._tree:
                ns = cpu_clock_ns(p)
                if ns is not None:
                    total += ns
            self.samples.append((time.time(), total))
            self._stop.wait(self.period)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def cpu_at(self, t: float) -> float:
        """CPU seconds used up to wall time t."""
        s = self.samples
        if not s:
            return 0.0
        if t <= s[0][0]:
            return s[0][1] / 1e9
        for (t0, c0), (t1, c1) in zip(s, s[1:]):
            if t0 <= t <= t1:
                frac = (t - t0) / (t1 - t0) if t1 > t0 else 1.0
                return (c0 + frac * (c1 - c0)) / 1e9
        return s[-1][1] / 1e9


# ---- the dev server and the proxies -----------------------------------------------------------------


class DevServer:
    """scripts/devserver.sh on free ports, pinned to core 0 (every thread it starts inherits that)."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="temporal-c-bench-server-")
        script = ROOT / "scripts" / "devserver.sh"
        argv = [str(script), "start", "--dir", self.dir, "--owner", str(os.getpid())]
        out = subprocess.run(pinned(SERVER_CORE, argv), stdout=subprocess.PIPE, text=True, timeout=600)
        if out.returncode != 0:
            raise RuntimeError(f"the dev server did not start; see {self.dir}/server.log")
        self.target = out.stdout.strip()
        self.pid = int(Path(self.dir, "pid").read_text())

    def stop(self) -> None:
        subprocess.run([str(ROOT / "scripts" / "devserver.sh"), "stop", "--dir", self.dir], timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


class Proxy:
    """bench-proxy (bench/go/proxy) on core 0: `delay` or `grpc`; its address is .target."""

    def __init__(self, binary: Path, mode: str, upstream: str, *options: str) -> None:
        self.proc = subprocess.Popen(pinned(SERVER_CORE, [str(binary), mode, "--upstream", upstream, *options]),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "LISTEN":
            raise RuntimeError(f"bench-proxy {mode} did not start: {self.proc.stderr.read()}")
        self.target = line[1]

    def stop(self) -> str:
        """Stops it; returns what it printed on the way out (the grpc proxy's call counts)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return out


# ---- the workers under test ---------------------------------------------------------------------------


@dataclass
class WorkerSpec:
    """One worker under test: `key` (short name), `label` (the tables'), `peer` (the C worker it is
    compared with: the same programming model), and how to run it."""

    key: str
    label: str
    peer: Optional[str]
    language: str  # "c", "python", "go"
    kind: str = ""

    def argv(self, paths: dict, target: str, task_queue: str, slots: int, pollers: int, processes: int) -> list:
        common = ["--target", target, "--task-queue", task_queue, "--slots", str(slots), "--pollers", str(pollers)]
        if self.language == "c":
            extra = ["--processes", str(processes)] if self.kind == "process" else []
            return [str(paths["c_worker"]), "--kind", self.kind, *common, *extra]
        if self.language == "python":
            script = ROOT / "bench" / "python" / "bench_worker.py"
            return [str(paths["python"]), str(script), "--kind", self.kind, *common]
        return [str(paths["go_worker"]), *common]


WORKERS = [
    WorkerSpec("c-thread", "C, thread pool", None, "c", "thread"),
    WorkerSpec("c-async", "C, async (libuv)", None, "c", "async"),
    WorkerSpec("c-process", "C, process pool", None, "c", "process"),
    WorkerSpec("py-async", "Python, async def", "c-async", "python", "async"),
    WorkerSpec("py-thread", "Python, def on a ThreadPoolExecutor", "c-thread", "python", "thread"),
    WorkerSpec("go", "Go", "c-thread", "go"),
]
WORKERS_BY_KEY = {w.key: w for w in WORKERS}


@dataclass
class RunningWorker:
    spec: WorkerSpec
    proc: subprocess.Popen
    exec_time: float
    log_path: Path
    ready_time: Optional[float] = None
    stdout_lines: list = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tree(self) -> list:
        return process_tree(self.pid)

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def kill(self) -> dict:
        """SIGKILL to the whole process tree."""
        for p in reversed(self.tree()):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        return {"exit_code": self.proc.wait(), "killed": True}

    def stop(self, timeout: float = 30.0) -> dict:
        """SIGTERM, then SIGKILL after `timeout`; returns how long it took and how it ended."""
        t0 = time.time()
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
            killed = False
        except subprocess.TimeoutExpired:
            for p in reversed(self.tree()):
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            code = self.proc.wait()
            killed = True
        return {"stop_s": time.time() - t0, "exit_code": code, "killed": killed}


def start_worker(spec: WorkerSpec, paths: dict, target: str, task_queue: str, *, slots: int, pollers: int,
                 processes: int, log_dir: Path) -> RunningWorker:
    """Starts the worker on core 1; exec_time is taken just before the fork. A thread reads its stdout
    and notes when READY came."""
    log_path = log_dir / f"{spec.key}-{task_queue}.log"
    log = open(log_path, "w")
    env = dict(os.environ)
    env.setdefault("TEMPORAL_LOG_LEVEL", "warn")
    argv = pinned(WORKER_CORE, spec.argv(paths, target, task_queue, slots, pollers, processes))
    exec_time = time.time()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True, env=env, start_new_session=True)
    log.close()
    w = RunningWorker(spec, proc, exec_time, log_path)

    def pump():
        for line in proc.stdout:
            w.stdout_lines.append(line.rstrip("\n"))
            if line.strip() == "READY" and w.ready_time is None:
                w.ready_time = time.time()

    threading.Thread(target=pump, daemon=True).start()
    return w


# ---- the client's side: enqueue, count, list ----------------------------------------------------------


class Activities:
    """Standalone activities through the Python SDK's client: no workflow anywhere."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.namespace = client.namespace

    async def enqueue(self, task_queue: str, activity: str, args: list, n: int, *, start_to_close_s: float = 300,
                      heartbeat_timeout_s: Optional[float] = None, concurrency: int = 64, id_prefix: str = "") -> list:
        """Starts n activities (one StartActivityExecution each, `concurrency` at a time); their ids."""
        sem = asyncio.Semaphore(concurrency)
        ids = [f"{id_prefix or activity}-{task_queue}-{i}" for i in range(n)]

        async def one(activity_id: str) -> None:
            async with sem:
                await self.client.start_activity(
                    activity, args=args, id=activity_id, task_queue=task_queue,
                    start_to_close_timeout=timedelta(seconds=start_to_close_s),
                    heartbeat_timeout=timedelta(seconds=heartbeat_timeout_s) if heartbeat_timeout_s else None,
                    retry_policy=RetryPolicy(maximum_attempts=1))

        await asyncio.gather(*(one(i) for i in ids))
        return ids

    async def count(self, query: str) -> int:
        resp = await self.client.workflow_service.count_activity_executions(
            CountActivityExecutionsRequest(namespace=self.namespace, query=query))
        return resp.count

    async def wait_count(self, query: str, want: int, timeout: float, every: float = 0.25,
                         at_most: bool = False) -> bool:
        """Waits until `query` counts `want` activities (or at most that many)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            n = await self.count(query)
            if n == want or (at_most and n < want):
                return True
            await asyncio.sleep(every)
        return False

    async def list(self, task_queue: str) -> list:
        """(activity id, status name, schedule time, close time or None) of every activity on the queue,
        times as Unix seconds (the server's clock: this machine's)."""
        rows, token = [], b""
        while True:
            resp = await self.client.workflow_service.list_activity_executions(ListActivityExecutionsRequest(
                namespace=self.namespace, page_size=1000, next_page_token=token, query=f"TaskQueue = '{task_queue}'"))
            for e in resp.executions:
                close = e.close_time.ToNanoseconds() / 1e9 if e.HasField("close_time") else None
                rows.append((e.activity_id, STATUS_NAMES.get(e.status, str(e.status)),
                             e.schedule_time.ToNanoseconds() / 1e9, close))
            token = resp.next_page_token
            if not token:
                return rows

    async def started(self, activity_ids: list) -> int:
        """How many of these activities a worker has started (and not finished)."""
        async def one(activity_id: str) -> bool:
            resp = await self.client.workflow_service.describe_activity_execution(
                DescribeActivityExecutionRequest(namespace=self.namespace, activity_id=activity_id))
            return resp.info.run_state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED

        return sum(await asyncio.gather(*(one(a) for a in activity_ids)))

    async def result(self, activity_id: str, timeout: float) -> bool:
        """Waits until the activity closed (any outcome); False on timeout."""
        try:
            await asyncio.wait_for(self.client.get_activity_handle(activity_id).result(), timeout)
        except asyncio.TimeoutError:
            return False
        except Exception:  # a failure is an outcome too
            pass
        return True


def new_task_queue(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
