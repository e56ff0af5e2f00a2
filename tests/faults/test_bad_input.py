"""Bad input through the real server: arguments the C worker cannot read, sent by a real client.

Each bad argument fails only its own attempt, with a message that says what was wrong, and the worker
keeps serving: a ping activity started next to it and one started after it complete. A JSON integer
too big for any C type is not bad input (Python sends 10**400 without complaint): the attempt runs,
the raw payload keeps the exact digits and every typed getter refuses it with TEMPORAL_ERANGE.

The arguments are temporalio.api.common.v1.Payload messages built by hand and handed to the Python
client as RawValue, so they reach the server byte for byte (no converter in the way: that is how
invalid UTF-8 or a payload without metadata can be sent at all). The activities are standalone
(Client.start_activity): no workflow in between to reinterpret anything.
"""

import asyncio

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue

from standalone import Standalone

TEMPORAL_ERANGE = -15
HUGE = 10**400


def json_payload(data: bytes) -> RawValue:
    return RawValue(Payload(metadata={"encoding": b"json/plain"}, data=data))


# name -> (the arguments, what the DecodeError cause must say). Checked by substring: the
# message also quotes jansson's position, which is not this suite's business.
BAD_INPUTS = {
    "non-JSON": ([json_payload(b"{not json")], ["argument 0", "invalid JSON"]),
    "unknown encoding": (
        [RawValue(Payload(metadata={"encoding": b"application/x-made-up"}, data=b"42"))],
        ["argument 0", 'unknown encoding "application/x-made-up"'],
    ),
    "invalid UTF-8 in json/plain": ([json_payload(b'"ab\xff\xfecd"')], ["argument 0", "invalid JSON", "byte 0xff"]),
    "JSON nested 100,000 deep": (
        [json_payload(b"[" * 100_000 + b"]" * 100_000)],
        ["argument 0", "invalid JSON", "maximum parsing depth"],
    ),
    "no metadata at all": ([RawValue(Payload(data=b"42"))], ["argument 0", 'no "encoding" metadata']),
    # Many arguments are fine (next test); one bad one among them is named by its index.
    "1,000 arguments, the last not JSON": (
        [json_payload(b"1")] * 999 + [json_payload(b"{not json")],
        ["argument 999", "invalid JSON"],
    ),
}


@pytest.fixture
def standalone(client, dev_server, task_queue, c_programs):
    c_programs.start("faults_worker", "--target", dev_server, "--task-queue", task_queue)
    return Standalone(client, task_queue)


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_argument_fails_only_its_attempt(case, standalone, run):
    args, wanted = BAD_INPUTS[case]

    async def scenario():
        # A ping runs next to the bad activity on the same worker, another once it failed.
        beside = asyncio.ensure_future(standalone.outcome("ping_activity", []))
        bad = await standalone.outcome("inspect_args_activity", args)
        after = await standalone.outcome("ping_activity", [])
        return bad, await beside, after

    bad, beside, after = run(scenario())
    kind, chain = bad
    assert kind == "failure", f"{case}: the activity ran: {chain}"
    print(f"{case}: {chain}")
    # The attempt failed before the function ran: "Failed decoding arguments", caused by a DecodeError
    # that says which argument and what was wrong with it.
    assert len(chain) >= 2, chain
    (top_class, top_type, top_message, non_retryable), (_, cause_type, cause_message, _) = chain[:2]
    assert (top_class, top_message) == ("ApplicationError", "Failed decoding arguments"), chain
    assert cause_type == "DecodeError", chain
    for part in wanted:
        assert part in cause_message, f"{case}: {part!r} not in {cause_message!r}"
    # A failure of this attempt only: retryable like any other, and the worker is unharmed.
    assert non_retryable is False, chain
    assert beside == ("result", "pong") and after == ("result", "pong"), (beside, after)


def test_a_thousand_arguments_all_arrive(standalone, run):
    kind, seen = run(standalone.outcome("inspect_args_activity", list(range(1000))))
    assert kind == "result", seen
    assert (seen["count"], seen["last"]) == (1000, 999), seen


def test_integer_too_big_for_a_double_stays_readable(standalone, run):
    # The Python SDK's JSON converter writes 10**400 as its 401 digits.
    kind, seen = run(standalone.outcome("inspect_args_activity", [HUGE]))
    assert kind == "result", f"the attempt failed instead of running: {seen}"
    first = seen["first"]
    print(f"10**400: payload {first['encoding']} of {first['data_len']} bytes; "
          f"temporal_args_get_int said {first['get_int']}")
    # The raw payload holds the exact digits.
    assert first["get_payload"]["rc"] == 0, first
    assert (first["encoding"], first["data"]) == ("json/plain", str(HUGE)), first
    # Every typed getter refuses it, saying why, instead of handing out a rounded or clipped value.
    for getter in ("get_int", "get_real", "get_json", "get_string", "get_bool"):
        rc, message = first[getter]["rc"], first[getter]["message"]
        assert rc == TEMPORAL_ERANGE, (getter, first[getter])
        assert "does not fit a 64-bit integer or a double" in message, (getter, message)
        assert "argument 0" in message, (getter, message)
    assert run(standalone.outcome("ping_activity", [])) == ("result", "pong")
