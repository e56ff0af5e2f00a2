"""Benchmarks for the three kinds of activity callables, against a real dev server.

  1. Cancellation latency per kind: a workflow cancels a heartbeating activity (heartbeat timeout
     1 s, so heartbeats go out every 0.8 s); latency = the moment the activity learned of it
     (kinds_worker prints CANCEL_SEEN with the wall clock) minus the server's
     ActivityTaskCancelRequested event time.
  2. Cost per no-op activity: one workflow runs N no-op activities one after another on the thread
     pool, the process pool and the custom executor; per-activity time = wall time / N. The process
     pool's extra cost is its per-activity time minus the thread pool's.

Usage: python bench/bench_kinds.py [--build-dir build] [--samples 10] [--noops 200]
Prints a table; nothing is asserted (figures go in the issue notes).
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

ROOT = Path(__file__).resolve().parents[1]


@workflow.defn
class CancelAfter:
    @workflow.run
    async def run(self, activity: str, after_seconds: float) -> str:
        handle = workflow.start_activity(
            activity,
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=timedelta(seconds=1),
            retry_policy=RetryPolicy(maximum_attempts=1),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.sleep(after_seconds)
        handle.cancel()
        try:
            await handle
        except Exception as err:  # the ActivityError caused by CancelledError
            return type(err.__cause__ or err).__name__
        return "completed"


@workflow.defn
class NoopLoop:
    @workflow.run
    async def run(self, count: int) -> float:
        for _ in range(count):
            await workflow.execute_activity(
                "noop_activity", start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=1))
        return 0.0


class KindsWorker:
    def __init__(self, build_dir, target, task_queue, executor):
        exe = build_dir / "tests" / "kinds_worker"
        self.proc = subprocess.Popen(
            [str(exe), "--target", target, "--task-queue", task_queue, "--executor", executor, "--processes", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "TEMPORAL_LOG_LEVEL": "debug"})
        self.seen = {}
        self.run_us = []
        for line in self.proc.stdout:
            if line.strip() == "READY":
                break
        import threading
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()

    def _pump_stderr(self):
        # "activity ID (TYPE) ran in N us": dispatch to finish inside the worker, executor included.
        for line in self.proc.stderr:
            if "(noop_activity) ran in" in line:
                self.run_us.append(int(line.rsplit("ran in", 1)[1].split()[0]))

    def _pump(self):
        for line in self.proc.stdout:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "CANCEL_SEEN":
                self.seen[parts[1]] = int(parts[2])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


async def cancel_latency(client, wf_tq, act_tq, activity, worker, samples):
    out = []
    for _ in range(samples):
        # A random moment within the 0.8 s heartbeat interval, so the samples cover where the cancel can
        # fall between two heartbeat sends (a fixed delay would measure one point of it).
        after = 1.0 + random.uniform(0.0, 0.8)
        handle = await client.start_workflow(CancelAfter.run, args=[activity, after], id=f"bench-cancel-{uuid.uuid4()}",
                                             task_queue=wf_tq)
        outcome = await handle.result()
        assert outcome == "CancelledError", outcome
        requested = None
        activity_id = None
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                activity_id = event.activity_task_scheduled_event_attributes.activity_id
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
                requested = event.event_time.ToNanoseconds()
        for _ in range(50):
            if activity_id in worker.seen:
                break
            await asyncio.sleep(0.05)
        out.append((worker.seen[activity_id] - requested) / 1e6)
    return out


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=str(ROOT / "build"))
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--noops", type=int, default=200, help="0 skips the no-op measurement")
    args = ap.parse_args()
    build_dir = Path(args.build_dir)
    state = tempfile.mkdtemp(prefix="temporal-c-bench-")
    target = subprocess.run([str(ROOT / "scripts" / "devserver.sh"), "start", "--dir", state, "--owner",
                             str(os.getpid())], stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    try:
        client = await Client.connect(target)
        wf_tq = f"bench-wf-{uuid.uuid4().hex[:6]}"
        rows = []
        # Unsandboxed: this module also drives processes, which the workflow sandbox refuses to import.
        async with Worker(client, task_queue=wf_tq, workflows=[CancelAfter, NoopLoop],
                          workflow_runner=UnsandboxedWorkflowRunner()):
            for kind, executor, activity in [("async", "thread", "wait_for_cancel_async"),
                                             ("thread pool", "thread", "wait_for_cancel_activity"),
                                             ("process pool", "process", "wait_for_cancel_activity"),
                                             ("custom executor", "custom", "wait_for_cancel_activity")]:
                act_tq = wf_tq  # the activity runs on the same queue as the workflow
                w = KindsWorker(build_dir, target, act_tq, executor)
                try:
                    lat = await cancel_latency(client, wf_tq, act_tq, activity, w, args.samples)
                finally:
                    w.stop()
                rows.append((kind, lat))
            print(f"\nCancellation latency (cancel requested -> activity notified), heartbeat timeout 1 s, "
                  f"{args.samples} samples each:")
            print(f"{'kind':18} {'median ms':>10} {'mean ms':>9} {'min ms':>8} {'max ms':>8}")
            for kind, lat in rows:
                print(f"{kind:18} {statistics.median(lat):10.0f} {statistics.mean(lat):9.0f} {min(lat):8.0f} {max(lat):8.0f}")

            if args.noops <= 0:
                return
            per, inside = {}, {}
            for kind, executor in [("thread pool", "thread"), ("process pool", "process"), ("custom executor", "custom")]:
                w = KindsWorker(build_dir, target, wf_tq, executor)
                try:
                    await client.execute_workflow(NoopLoop.run, 5, id=f"bench-warm-{uuid.uuid4()}", task_queue=wf_tq)
                    t0 = time.perf_counter()
                    await client.execute_workflow(NoopLoop.run, args.noops, id=f"bench-noop-{uuid.uuid4()}",
                                                  task_queue=wf_tq)
                    per[kind] = (time.perf_counter() - t0) / args.noops * 1000
                    await asyncio.sleep(0.5)
                    inside[kind] = statistics.median(w.run_us[-args.noops:])
                finally:
                    w.stop()
            print(f"\nNo-op activity, {args.noops} in sequence from one workflow (end to end through the server):")
            for kind, ms in per.items():
                print(f"{kind:18} {ms:7.2f} ms per activity end to end, {inside[kind]:7.0f} us median from dispatch "
                      f"to finish inside the worker")
            print(f"process pool extra cost over the thread pool: {per['process pool'] - per['thread pool']:+.2f} ms "
                  f"end to end, {inside['process pool'] - inside['thread pool']:+.0f} us inside the worker")
    finally:
        subprocess.run([str(ROOT / "scripts" / "devserver.sh"), "stop", "--dir", state])


if __name__ == "__main__":
    asyncio.run(main())
