"""The C worker next to the Python SDK's and the Go SDK's, with the same activities, slots and pollers,
against a real dev server (`make bench`, `make bench-quick`; docs/BENCHMARKS.md says what each figure
means and holds the last full run's tables).

Workers (bench/harness.py WORKERS): the C bench worker as a thread pool, async (libuv) and process
pool (bench/c/bench_worker.c), the Python SDK's with `async def` and with `def` on a
ThreadPoolExecutor (bench/python/bench_worker.py), and the Go SDK's (bench/go/worker).

Scenarios, each run for every worker, the workers' order rotated from round to round (interleaved),
medians and ranges over the rounds:
  drain     a backlog of standalone activities (noop, echo of 64 KiB, sleep) enqueued before the
            worker starts, then drained: activities/s and the worker's CPU µs per activity over the
            drain (first to last completion, as the server recorded them)
  startup   from the worker's exec to its first completed activity (the server's close time), out of
            the noop drain
  latency   the noop drain again, the worker behind a proxy adding a fixed delay each way (10 and
            40 ms), with 4 and 16 pollers
  slow      a gRPC proxy holds the responses of the heartbeats of some activities for seconds: do the
            other activities' heartbeats and completions suffer?
  memory    RSS idle, and with 1000 and 5000 sleeping activities in flight

  python bench/bench.py [--quick] [--rounds N] [--scenarios drain,latency,slow,memory]
                        [--workers c-thread,c-async,c-process,py-async,py-thread,go]
                        [--build-dir build] --go-dir DIR [--write-doc docs/BENCHMARKS.md]

Run it with the venv's Python (the pinned temporalio); `make bench` and `make bench-quick` build what
it needs first (bench_worker in BUILD_DIR; the Go worker and proxies with scripts/setup-bench.sh,
which prints DIR). Prints each run as it goes, then the tables; writes the tables and every raw figure
(JSON) under BUILD_DIR/bench/, and with --write-doc into the results part of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

import report
from harness import (
    ROOT,
    SERVER_CORE,
    TWO_CORES,
    WORKER_CORE,
    WORKERS,
    WORKERS_BY_KEY,
    Activities,
    CpuSampler,
    DevServer,
    Proxy,
    WorkerSpec,
    memory_kib,
    new_task_queue,
    pin_self,
    start_worker,
    stat_cpu_ticks,
    thread_count,
    unpin_self,
)

ECHO_BYTES = 64 * 1024
SLOW_MARKER = "SLOW-HEARTBEAT"


@dataclass
class Plan:
    """What a run does; the defaults are `make bench`'s (20-25 minutes on a 2-core machine)."""

    rounds: int = 3
    drain: dict = field(default_factory=lambda: {"noop": 500, "echo": 150, "sleep": 300})  # backlog sizes
    sleep_ms: int = 50  # the sleep activity of the drain
    slots: int = 100
    pollers: int = 5
    processes: int = 16  # the C process pool's children (its slots stay `slots`)
    warmup: int = 100  # noops through a C worker on each new server before the drain, not recorded
    fresh_servers: bool = True  # a new dev server for each drain round and each other scenario
    latency_delays_ms: list = field(default_factory=lambda: [10, 40])
    latency_pollers: list = field(default_factory=lambda: [4, 16])
    latency_n: int = 100
    # Idle RSS in every round; in flight in the first round only (RSS varies little from run to run, and
    # setting up 5000 takes this server over a minute).
    memory_in_flight: list = field(default_factory=lambda: [1000, 5000])
    memory_sleep_s: int = 900  # longer than any worker takes to start them all; killed before the end
    slow_heartbeats: int = 10  # heartbeating activities at once ...
    slow_slowed: int = 2  # ... of which this many have every heartbeat response held
    slow_delay_s: float = 5.0  # for this long
    slow_total_ms: int = 5000  # each heartbeats for this long,
    slow_period_ms: int = 200  # recording a heartbeat this often,
    slow_heartbeat_timeout_s: float = 2.0  # with this heartbeat timeout (the SDKs send every 0.8 x this)
    slow_noops: int = 100  # enqueued after the heartbeating ones: their schedule-to-close latency
    slow_noops_after_s: float = 2.0


FULL = Plan()
# `make bench-quick`: every scenario once, small enough to end within 3 minutes on a 2-core machine
# (this dev server takes about 8 ms of its core to start a standalone activity and 12 ms to hand one
# out and record its completion, so the backlogs set the time).
QUICK = Plan(rounds=1, drain={"noop": 120, "echo": 30, "sleep": 50}, warmup=30, fresh_servers=False,
             latency_delays_ms=[40], latency_n=40, memory_in_flight=[200], slow_heartbeats=5,
             slow_slowed=1, slow_total_ms=3000, slow_noops=30, slow_noops_after_s=1.0)


def activity_args(activity: str, plan: Plan) -> list:
    if activity == "echo":
        return ["x" * ECHO_BYTES]
    if activity == "sleep":
        return [plan.sleep_ms]
    return []


def rotated(workers: list, round_: int) -> list:
    k = round_ % len(workers)
    return workers[k:] + workers[:k]


class Bench:
    def __init__(self, args, plan: Plan) -> None:
        self.args, self.plan = args, plan
        self.paths = {
            "c_worker": Path(args.build_dir).resolve() / "bench" / "bench_worker",
            "python": Path(sys.executable),
            "go_worker": Path(args.go_dir).resolve() / "bench-go-worker",
            "proxy": Path(args.go_dir).resolve() / "bench-proxy",
        }
        self.out_dir = Path(args.build_dir).resolve() / "bench"
        self.log_dir = self.out_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.results: list = []
        self.server = None
        self.acts = None

    def say(self, text: str) -> None:
        print(text, flush=True)

    async def start_server(self) -> None:
        """A dev server of the bench's own (a new one each time unless the plan says otherwise: its
        in-memory database grows with every activity)."""
        if self.server and not self.plan.fresh_servers:
            return
        if self.server:
            self.server.stop()
        unpin_self()
        self.server = DevServer()
        client = await Client.connect(self.server.target)
        self.acts = Activities(client)
        system = await client.workflow_service.get_system_info(GetSystemInfoRequest())
        self.info["server_version"] = system.server_version

    # ---- one drain ----------------------------------------------------------------------------------

    async def drain(self, spec: WorkerSpec, activity: str, n: int, *, scenario: str, worker_target: str = None,
                    pollers: int = None, **labels) -> dict:
        plan, acts = self.plan, self.acts
        began = time.time()
        tq = new_task_queue(f"{scenario}-{spec.key}-{activity}")
        pin_self(WORKER_CORE)  # no worker runs yet: the enqueueing client takes its core
        t0 = time.time()
        ids = await acts.enqueue(tq, activity, activity_args(activity, plan), n)
        enqueue_s = time.time() - t0
        await acts.wait_count(f"TaskQueue = '{tq}'", n, timeout=60)  # the server's visibility caught up
        pin_self(SERVER_CORE)
        w = start_worker(spec, self.paths, worker_target or self.server.target, tq, slots=plan.slots,
                         pollers=pollers or plan.pollers, processes=plan.processes, log_dir=self.log_dir)
        sampler = CpuSampler(w.pid)
        server_sampler = CpuSampler(self.server.pid, period=0.05)
        error = None
        deadline = time.time() + max(120.0, n / 5)
        # The last one enqueued is about the last one handed out; then every one must have closed.
        while time.time() < deadline:
            if not w.alive():
                error = f"worker exited with {w.proc.returncode}: {w.log_tail()}"
                break
            if await acts.result(ids[-1], 1.0):
                break
        if not error and not await acts.wait_count(f"TaskQueue = '{tq}' AND ExecutionStatus = 'Running'", 0,
                                                   timeout=max(5.0, deadline - time.time())):
            error = "not drained before the deadline"
        ticks = stat_cpu_ticks(w.pid)
        sampler.stop()
        server_sampler.stop()
        stop = w.stop()
        rows = await acts.list(tq)
        closes = sorted(r[3] for r in rows if r[3] is not None)
        statuses = {}
        for r in rows:
            statuses[r[1]] = statuses.get(r[1], 0) + 1
        res = {"scenario": scenario, "worker": spec.key, "activity": activity, "n": n, "task_queue": tq,
               "pollers": pollers or plan.pollers, "slots": plan.slots, "enqueue_s": enqueue_s,
               "statuses": statuses, "error": error, **labels, **stop}
        if len(closes) >= 2:
            first, last = closes[0], closes[-1]
            res["drain_s"] = last - first
            res["throughput"] = (len(closes) - 1) / (last - first) if last > first else None
            cpu = sampler.cpu_at(last) - sampler.cpu_at(first)
            res["cpu_s"] = cpu
            res["cpu_us_per_activity"] = cpu / (len(closes) - 1) * 1e6
            server_cpu = server_sampler.cpu_at(last) - server_sampler.cpu_at(first)
            res["server_cpu_us_per_activity"] = server_cpu / (len(closes) - 1) * 1e6
            res["server_busy"] = server_cpu / (last - first) if last > first else None
            res["startup_s"] = first - w.exec_time
            res["ready_s"] = (w.ready_time - w.exec_time) if w.ready_time else None
            res["cpu_total_s"] = sampler.samples[-1][1] / 1e9 if sampler.samples else None
            res["cpu_total_ticks"] = ticks
        if statuses.get("completed", 0) != n and not error:
            res["error"] = f"{statuses}"
        res["wall_s"] = time.time() - began
        return res

    def record(self, res: dict) -> None:
        self.results.append(res)
        tag = " ".join(f"{k}={res[k]}" for k in ("delay_ms",) if k in res)
        if res.get("error"):
            self.say(f"   {res['worker']:10} {res.get('activity', ''):6} {tag} ERROR {res['error'][:300]}")
        elif res["scenario"] in ("drain", "latency"):
            self.say(f"   {res['worker']:10} {res['activity']:6} {tag} pollers={res['pollers']:<3} "
                     f"{res.get('throughput') or 0:8.1f}/s  "
                     f"{res.get('cpu_us_per_activity') or 0:8.0f} µs CPU/activity  "
                     f"startup {res.get('startup_s') or 0:5.2f} s  "
                     f"server core {(res.get('server_busy') or 0) * 100:3.0f}% busy  "
                     f"(enqueue {res['enqueue_s']:.1f} s, run {res['wall_s']:.1f} s)")

    # ---- scenarios ----------------------------------------------------------------------------------

    async def scenario_drain(self) -> None:
        plan = self.plan
        self.say(f"== drain: backlogs of {plan.drain} (sleep = {plan.sleep_ms} ms), {plan.slots} slots, "
                 f"{plan.pollers} pollers, {plan.rounds} round(s)")
        for r in range(plan.rounds):
            await self.start_server()  # a fresh server each round: its in-memory database grows
            self.say(f"-- round {r + 1}/{plan.rounds} (server {self.server.target})")
            # Warm-up, not recorded: the server's first activities of a run are slower.
            await self.drain(WORKERS_BY_KEY["c-thread"], "noop", plan.warmup, scenario="warmup")
            for activity, n in plan.drain.items():
                for spec in rotated(self.workers, r):
                    self.record(await self.drain(spec, activity, n, scenario="drain", round=r))

    async def scenario_latency(self) -> None:
        plan = self.plan
        self.say(f"== latency: a noop backlog of {plan.latency_n} behind a proxy adding "
                 f"{plan.latency_delays_ms} ms each way, {plan.latency_pollers} pollers")
        await self.start_server()
        for delay in plan.latency_delays_ms:
            proxy = Proxy(self.paths["proxy"], "delay", self.server.target, "--delay", f"{delay}ms")
            try:
                for r in range(plan.rounds):
                    for pollers in plan.latency_pollers:
                        for spec in rotated(self.workers, r):
                            self.record(await self.drain(spec, "noop", plan.latency_n, scenario="latency",
                                                         worker_target=proxy.target, pollers=pollers,
                                                         delay_ms=delay, round=r))
            finally:
                proxy.stop()

    async def wait_ready(self, w, timeout: float = 60.0) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline and w.alive():
            if w.ready_time:
                return True
            await asyncio.sleep(0.05)
        return False

    async def warm(self, w, tq: str) -> bool:
        """One noop through the worker: it polls, and its first activity's costs are behind it."""
        ids = await self.acts.enqueue(tq, "noop", [], 1, id_prefix="warm")
        return await self.acts.result(ids[0], 60.0)

    async def scenario_slow(self) -> None:
        plan = self.plan
        fast = plan.slow_heartbeats - plan.slow_slowed
        self.say(f"== slow heartbeats: {plan.slow_heartbeats} activities heartbeat for {plan.slow_total_ms} ms "
                 f"(heartbeat timeout {plan.slow_heartbeat_timeout_s} s); every heartbeat response of "
                 f"{plan.slow_slowed} of them is held {plan.slow_delay_s} s; {plan.slow_noops} noops "
                 f"{plan.slow_noops_after_s:g} s later")
        await self.start_server()
        pin_self(SERVER_CORE)
        proxy = Proxy(self.paths["proxy"], "grpc", self.server.target, "--slow-marker", SLOW_MARKER,
                      "--slow-delay", f"{plan.slow_delay_s}s")
        try:
            for r in range(plan.rounds):
                for spec in rotated(self.workers, r):
                    self.record(await self.slow_run(spec, proxy, r, fast))
        finally:
            self.say("   proxy: " + " ".join(proxy.stop().split()))

    async def slow_run(self, spec: WorkerSpec, proxy: Proxy, r: int, fast: int) -> dict:
        plan, acts = self.plan, self.acts
        began = time.time()
        tq = new_task_queue(f"slow-{spec.key}")
        w = start_worker(spec, self.paths, proxy.target, tq, slots=plan.slots, pollers=plan.pollers,
                         processes=plan.processes, log_dir=self.log_dir)
        res = {"scenario": "slow", "worker": spec.key, "round": r, "task_queue": tq, "error": None}
        try:
            if not await self.wait_ready(w) or not await self.warm(w, tq):
                res["error"] = f"worker not ready: {w.log_tail()}"
                return res
            hb = dict(start_to_close_s=60, heartbeat_timeout_s=plan.slow_heartbeat_timeout_s)
            await asyncio.gather(
                acts.enqueue(tq, "heartbeat", [plan.slow_total_ms, plan.slow_period_ms, SLOW_MARKER],
                             plan.slow_slowed, id_prefix="hb-slow", **hb),
                acts.enqueue(tq, "heartbeat", [plan.slow_total_ms, plan.slow_period_ms, "fast"], fast,
                             id_prefix="hb-fast", **hb))
            await asyncio.sleep(plan.slow_noops_after_s)
            await acts.enqueue(tq, "noop", [], plan.slow_noops, id_prefix="noop")
            # The fast ones end after slow_total_ms; a slowed one may run long (its heartbeat calls
            # hold it up): it is left running, and counted as such, once everything else is done.
            wait = plan.slow_total_ms / 1000 + plan.slow_delay_s + 5
            running = f"TaskQueue = '{tq}' AND ExecutionStatus = 'Running'"
            await acts.wait_count(running, plan.slow_slowed, timeout=wait, at_most=True)
            await acts.wait_count(running, 0, timeout=2)
        finally:
            res.update(w.stop())
        rows = await acts.list(tq)
        groups = {"hb-slow": [], "hb-fast": [], "noop": []}
        for activity_id, status, scheduled, closed in rows:
            for prefix, group in groups.items():
                if activity_id.startswith(prefix + "-"):
                    group.append((status, scheduled, closed))
        total_s = plan.slow_total_ms / 1000

        def statuses(group):
            out = {}
            for status, _, _ in group:
                out[status] = out.get(status, 0) + 1
            return out

        res["slow_statuses"] = statuses(groups["hb-slow"])
        res["fast_statuses"] = statuses(groups["hb-fast"])
        res["fast_overrun_s"] = sorted(c - s - total_s for st, s, c in groups["hb-fast"] if st == "completed")
        res["noop_latency_s"] = sorted(c - s for st, s, c in groups["noop"] if c is not None)
        res["fast_total"] = fast
        res["noop_total"] = plan.slow_noops
        res["wall_s"] = time.time() - began
        nl = res["noop_latency_s"]
        self.say(f"   {spec.key:10} fast heartbeating: {res['fast_statuses']}; slowed: {res['slow_statuses']}; "
                 f"noop latency median {statistics.median(nl) * 1000 if nl else 0:.0f} ms, "
                 f"max {max(nl) * 1000 if nl else 0:.0f} ms  (run {res['wall_s']:.1f} s)")
        return res

    async def scenario_memory(self) -> None:
        plan = self.plan
        self.say(f"== memory: RSS idle ({plan.slots} slots), and in the first round with {plan.memory_in_flight} "
                 f"sleeping activities in flight (slots = threads = that many)")
        await self.start_server()
        unpin_self()
        for r in range(plan.rounds):
            for spec in rotated(self.workers, r):
                self.record(await self.memory_run(spec, 0, r))
                for n in plan.memory_in_flight if r == 0 else []:
                    if spec.kind == "process":
                        continue  # one child per activity in flight: not what a process pool is for
                    self.record(await self.memory_run(spec, n, r))

    async def memory_run(self, spec: WorkerSpec, in_flight: int, r: int) -> dict:
        plan, acts = self.plan, self.acts
        began = time.time()
        tq = new_task_queue(f"mem-{spec.key}-{in_flight}")
        slots = max(plan.slots, in_flight)
        w = start_worker(spec, self.paths, self.server.target, tq, slots=slots, pollers=plan.pollers,
                         processes=plan.processes, log_dir=self.log_dir)
        res = {"scenario": "memory", "worker": spec.key, "round": r, "in_flight": in_flight, "slots": slots,
               "task_queue": tq, "error": None}
        try:
            if not await self.wait_ready(w) or not await self.warm(w, tq):
                res["error"] = f"worker not ready: {w.log_tail()}"
                return res
            if in_flight:
                t0 = time.time()
                ids = await acts.enqueue(tq, "sleep", [plan.memory_sleep_s * 1000], in_flight,
                                         start_to_close_s=plan.memory_sleep_s + 300)
                # In flight: the last 20 enqueued and 20 others picked at random are started (the
                # server's backlog count lags by seconds).
                probe = ids[-20:] + random.sample(ids[:-20], min(20, len(ids) - 20))
                deadline = time.time() + 180
                started = 0
                while time.time() < deadline and w.alive():
                    started = await acts.started(probe)
                    if started == len(probe):
                        break
                    await asyncio.sleep(0.2)
                res["all_started_s"] = time.time() - t0
                if started != len(probe):
                    res["error"] = f"only {started} of {len(probe)} probed activities started"
            await asyncio.sleep(1.0)  # settle
            samples = []
            for _ in range(5):
                samples.append(memory_kib(w.tree()))
                await asyncio.sleep(0.2)
            res["rss_kib"] = statistics.median(s[0] for s in samples)
            res["pss_kib"] = statistics.median(s[1] for s in samples)
            res["processes"] = len(w.tree())
            res["threads"] = thread_count(w.tree())
        finally:
            # Killed: how a worker shuts down with thousands in flight is not what this measures, and
            # their cancellations would load the server. Their start-to-close timeout outlives the run.
            res.update(w.kill())
        res["wall_s"] = time.time() - began
        self.say(f"   {spec.key:10} {in_flight:5} in flight: RSS {res.get('rss_kib', 0) / 1024:7.1f} MiB "
                 f"(PSS {res.get('pss_kib', 0) / 1024:7.1f} MiB, {res.get('processes')} processes, "
                 f"{res.get('threads')} threads)  (run {res['wall_s']:.1f} s)"
                 + (f"  ERROR {res['error']}" if res.get("error") else ""))
        return res

    # ---- all of it ----------------------------------------------------------------------------------

    async def run(self) -> None:
        self.workers = [WORKERS_BY_KEY[k] for k in self.args.workers.split(",")]
        scenarios = self.args.scenarios.split(",")
        started = time.time()
        self.info = report.machine_info(self.args, self.paths)
        try:
            for name in ("drain", "latency", "slow", "memory"):
                if name in scenarios:
                    await getattr(self, f"scenario_{name}")()
        finally:
            if self.server:
                self.server.stop()
        self.info["duration_s"] = time.time() - started
        self.info["loadavg_end"] = report.loadavg()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        mode = "quick" if self.args.quick else "full"
        raw = self.out_dir / f"results-{mode}-{stamp}.json"
        raw.write_text(json.dumps({"info": self.info, "plan": asdict(self.plan), "results": self.results}, indent=1))
        text = report.render(self.info, self.plan, self.results, [w.key for w in self.workers])
        (self.out_dir / f"results-{mode}-{stamp}.md").write_text(text)
        print()
        print(text)
        print(f"raw figures: {raw}")
        if self.args.write_doc:
            report.write_doc(Path(self.args.write_doc), text)
            print(f"written to {self.args.write_doc}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one round, small backlogs (`make bench-quick`)")
    ap.add_argument("--rounds", type=int, help="override the number of rounds")
    ap.add_argument("--scenarios", default="drain,latency,slow,memory")
    ap.add_argument("--workers", default=",".join(w.key for w in WORKERS))
    ap.add_argument("--build-dir", default=str(ROOT / "build"))
    ap.add_argument("--go-dir", help="where scripts/setup-bench.sh built the Go programs (required to measure)")
    ap.add_argument("--write-doc", help="replace the results part of this file (docs/BENCHMARKS.md)")
    ap.add_argument("--command", default="", help="the command that ran this, for the record")
    ap.add_argument("--from-json", help="measure nothing: render the tables of an earlier run's results JSON")
    args = ap.parse_args()
    if args.from_json:
        raw = json.loads(Path(args.from_json).read_text())
        results = raw["results"]
        keys = [w.key for w in WORKERS if any(r["worker"] == w.key for r in results)]
        text = report.render(raw["info"], Plan(**raw["plan"]), results, keys)
        print(text)
        if args.write_doc:
            report.write_doc(Path(args.write_doc), text)
        return
    if not args.go_dir:
        ap.error("--go-dir is required (scripts/setup-bench.sh prints it)")
    plan = QUICK if args.quick else FULL
    if args.rounds:
        plan.rounds = args.rounds
    if not TWO_CORES:
        print("bench: fewer than 2 cores: nothing is pinned, and CPU figures include the server's noise")
    code = 0
    try:
        asyncio.run(Bench(args, plan).run())
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    # The SDK's client threads may still run at interpreter exit; leave without tearing them down.
    os._exit(code)


if __name__ == "__main__":
    main()
