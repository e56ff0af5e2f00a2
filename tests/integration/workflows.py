"""Python SDK workflows that call the C worker's activities (by name: the Python side has none).

They run on a Python workflow worker on the same task queue as the C activity worker.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as TemporalTimeoutError

with workflow.unsafe.imports_passed_through():
    from temporalio.api.common.v1 import Payload


def _describe_activity_error(err: ActivityError) -> dict:
    cause = err.cause
    described = {
        "class": type(err).__name__,
        "activity_type": err.activity_type,
        "retry_state": err.retry_state.name if err.retry_state is not None else None,
        "cause_class": type(cause).__name__ if cause is not None else None,
        "message": cause.message if cause is not None else None,
    }
    if isinstance(cause, ApplicationError):
        described["type"] = cause.type
        described["non_retryable"] = cause.non_retryable
        described["details"] = list(cause.details)
    if isinstance(cause, TemporalTimeoutError):
        described["timeout_type"] = cause.type.name if cause.type is not None else None
    return described


@workflow.defn
class RunActivity:
    """Runs one activity by name and reports its outcome as data the test can assert on.

    The request: {"activity": name, "args": [...], "raw_args": [{"encoding", "data"}...] (sent as
    payloads exactly as given, bypassing the converter), "max_attempts": n (default 1),
    "start_to_close_seconds": s, "heartbeat_timeout_seconds": s (default none), "activity_id"}. Returns {"result": value} or {"error": {...}} when the activity
    failed: the ActivityError caught here, with its cause (the error raised in C).
    """

    @workflow.run
    async def run(self, request: dict) -> dict:
        args = list(request.get("args", []))
        for raw in request.get("raw_args", []):
            args.append(
                RawValue(
                    Payload(
                        metadata={"encoding": raw["encoding"].encode()},
                        data=raw["data"].encode(),
                    )
                )
            )
        try:
            result = await workflow.execute_activity(
                request["activity"],
                args=args,
                activity_id=request.get("activity_id"),
                start_to_close_timeout=timedelta(
                    seconds=request.get("start_to_close_seconds", 30)
                ),
                heartbeat_timeout=(
                    timedelta(seconds=request["heartbeat_timeout_seconds"])
                    if "heartbeat_timeout_seconds" in request
                    else None
                ),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(milliseconds=100),
                    backoff_coefficient=1.0,
                    maximum_attempts=request.get("max_attempts", 1),
                ),
            )
        except ActivityError as err:
            return {"error": _describe_activity_error(err)}
        return {"result": result}


@workflow.defn(name="SayHelloWorkflow")
class SayHelloWorkflow:
    """The Python docs' hello workflow: one call of the (C) say_hello_activity."""

    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            "say_hello_activity",
            name,
            start_to_close_timeout=timedelta(seconds=30),
        )



@workflow.defn
class CancelActivityOnSignal:
    """Starts one activity (by name) with a heartbeat timeout, and cancels it when signalled
    `cancel_activity`; waits for the activity to confirm the cancellation (WAIT_CANCELLATION_COMPLETED),
    so the outcome shows how the activity itself ended.

    The request: {"activity", "args", "heartbeat_timeout_seconds" (default 20), "start_to_close_seconds"
    (default 60)}. Returns {"result": value} when the activity completed (before or despite the
    cancellation), or {"error": {...}} as RunActivity does (cause_class "CancelledError" once the
    activity reported itself cancelled).
    """

    def __init__(self) -> None:
        self._cancel = False

    @workflow.signal
    def cancel_activity(self) -> None:
        self._cancel = True

    @workflow.run
    async def run(self, request: dict) -> dict:
        handle = workflow.start_activity(
            request["activity"],
            args=list(request.get("args", [])),
            start_to_close_timeout=timedelta(seconds=request.get("start_to_close_seconds", 60)),
            heartbeat_timeout=timedelta(seconds=request.get("heartbeat_timeout_seconds", 20)),
            retry_policy=RetryPolicy(maximum_attempts=1),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.wait_condition(lambda: self._cancel or handle.done())
        if not handle.done():
            handle.cancel()
        try:
            result = await handle
        except ActivityError as err:
            return {"error": _describe_activity_error(err)}
        return {"result": result}


ALL = [RunActivity, SayHelloWorkflow, CancelActivityOnSignal]
