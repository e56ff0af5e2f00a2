"""Standalone activities (Client.start_activity) for the fault tests: no workflow between the test and
the C worker, so an argument reaches the worker exactly as sent and an outcome comes back as the
worker reported it, and hundreds of activities cost no workflow tasks."""

import uuid
from datetime import timedelta

from temporalio.client import ActivityFailureError, Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import FailureError


def chain_of(err: ActivityFailureError) -> list:
    """(class, type, message, non_retryable) of each failure under the client's error, outermost first."""
    chain = []
    cause = err.cause
    while cause is not None:
        chain.append((type(cause).__name__, getattr(cause, "type", None), cause.message,
                      getattr(cause, "non_retryable", None)))
        cause = cause.cause if isinstance(cause, FailureError) else None
    return chain


class Standalone:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client, self.task_queue = client, task_queue

    async def start(self, activity: str, args: list, attempts: int = 1, start_to_close_s: float = 20):
        return await self.client.start_activity(
            activity, args=args, id=f"{activity}-{uuid.uuid4().hex}", task_queue=self.task_queue,
            start_to_close_timeout=timedelta(seconds=start_to_close_s),
            retry_policy=RetryPolicy(maximum_attempts=attempts, initial_interval=timedelta(milliseconds=100),
                                     backoff_coefficient=1.0),
        )

    @staticmethod
    async def outcome_of(handle):
        """("result", value) or ("failure", its cause chain)."""
        try:
            return "result", await handle.result()
        except ActivityFailureError as err:
            return "failure", chain_of(err)

    async def outcome(self, activity: str, args: list, attempts: int = 1):
        return await self.outcome_of(await self.start(activity, args, attempts))
