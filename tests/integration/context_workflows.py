"""Python SDK workflows for the activity-context tests (test_context.py): one workflow that runs an
activity with every option the tests need to set, and can cancel it on a signal.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import Priority, RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    FailureError,
    TimeoutError as TemporalTimeoutError,
)


def _ms(value):
    return None if value is None else timedelta(milliseconds=value)


def _plain(value):
    """A decoded detail as JSON-able data (binary/plain details decode to bytes)."""
    if isinstance(value, (bytes, bytearray)):
        return {"bytes_hex": bytes(value).hex()}
    return value


def _describe_failure(err: BaseException) -> dict:
    described = {"class": type(err).__name__, "message": getattr(err, "message", str(err))}
    if isinstance(err, ApplicationError):
        described["type"] = err.type
        described["non_retryable"] = err.non_retryable
        described["details"] = [_plain(d) for d in err.details]
        delay = err.next_retry_delay
        described["next_retry_delay_ms"] = None if delay is None else delay / timedelta(milliseconds=1)
        described["category"] = err.category.name
    if isinstance(err, TemporalTimeoutError):
        described["timeout_type"] = err.type.name if err.type is not None else None
    return described


def describe_activity_error(err: ActivityError) -> dict:
    """The ActivityError and its whole cause chain (err.cause, its __cause__, ...), outermost first."""
    chain = []
    cause = err.cause
    while cause is not None and len(chain) < 10:
        chain.append(_describe_failure(cause))
        cause = cause.cause if isinstance(cause, FailureError) else cause.__cause__
    return {
        "class": type(err).__name__,
        "activity_type": err.activity_type,
        "activity_id": err.activity_id,
        "retry_state": err.retry_state.name if err.retry_state is not None else None,
        "chain": chain,
    }


@workflow.defn
class ContextWorkflow:
    """Runs one activity (by name) and reports how it ended, with the workflow's own ids.

    The request: {"activity", "args", "activity_id", "task_queue" (default: the workflow's),
    "start_to_close_ms" (default 30000), "schedule_to_close_ms", "heartbeat_timeout_ms",
    "retry": {"initial_interval_ms" (100), "backoff" (1.0), "maximum_interval_ms",
    "maximum_attempts" (1), "non_retryable_error_types"}, "priority": {"priority_key",
    "fairness_key", "fairness_weight"}}. The signal `cancel_activity` cancels it and waits for the
    activity to confirm (WAIT_CANCELLATION_COMPLETED).

    Returns {"workflow": {...}, "elapsed_ms", and "result": value or "error": {class, activity_id,
    retry_state, chain: [each cause, outermost first]}}.
    """

    def __init__(self) -> None:
        self._cancel = False

    @workflow.signal
    def cancel_activity(self) -> None:
        self._cancel = True

    @workflow.run
    async def run(self, request: dict) -> dict:
        retry = request.get("retry", {})
        priority = request.get("priority")
        started = workflow.now()
        handle = workflow.start_activity(
            request["activity"],
            args=list(request.get("args", [])),
            activity_id=request.get("activity_id"),
            task_queue=request.get("task_queue"),
            start_to_close_timeout=_ms(request.get("start_to_close_ms", 30000)),
            schedule_to_close_timeout=_ms(request.get("schedule_to_close_ms")),
            heartbeat_timeout=_ms(request.get("heartbeat_timeout_ms")),
            retry_policy=RetryPolicy(
                initial_interval=_ms(retry.get("initial_interval_ms", 100)),
                backoff_coefficient=retry.get("backoff", 1.0),
                maximum_interval=_ms(retry.get("maximum_interval_ms")),
                maximum_attempts=retry.get("maximum_attempts", 1),
                non_retryable_error_types=retry.get("non_retryable_error_types"),
            ),
            priority=Priority(**priority) if priority else Priority.default,
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.wait_condition(lambda: self._cancel or handle.done())
        if not handle.done():
            handle.cancel()
        info = workflow.info()
        out = {
            "workflow": {
                "id": info.workflow_id,
                "run_id": info.run_id,
                "type": info.workflow_type,
                "namespace": info.namespace,
                "task_queue": info.task_queue,
            }
        }
        try:
            out["result"] = await handle
        except ActivityError as err:
            out["error"] = describe_activity_error(err)
        out["elapsed_ms"] = (workflow.now() - started) / timedelta(milliseconds=1)
        return out


ALL = [ContextWorkflow]
