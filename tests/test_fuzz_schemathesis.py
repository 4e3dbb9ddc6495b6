"""schemathesis fuzzes the emulator in-process: every operation, positive and negative data,
stateful sequences through the OpenAPI links, every built-in check plus our own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hypothesis
import schemathesis

from mockserver.app import Settings, create_app
from mockserver.callback_policy import CallbackPolicy

from .contract import ContractRecorder, assert_conforms

HERE = Path(__file__).resolve().parent
CONFIG = schemathesis.Config.from_path(HERE.parent / "schemathesis.toml")  # explicit: discovery depends on the cwd


def answer_500_instead_of_raising(app: Any) -> Any:
    """Starlette re-raises after sending its 500; turn that into a plain 500 so the checks judge it."""

    async def wrapped(scope: dict, receive: Any, send: Any) -> None:
        started = False

        async def tracking_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, receive, tracking_send)
        except Exception:
            if scope["type"] != "http":
                raise
            if not started:
                await send({"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"unhandled error"})

    return wrapped


# Generated callback hosts are anywhere: accept them all, and deliver nothing (no traffic leaves the machine).
NO_DELIVERY = CallbackPolicy(allowed_hosts=frozenset({"*"}), deliver=False)
# Frozen clocks: no answer depends on how fast this machine runs the sequence (a Prefer seconds= job).
RECORDER = ContractRecorder(create_app(Settings(callbacks=NO_DELIVERY, frozen_clocks=True)))
schema = schemathesis.openapi.from_path(HERE.parent / "openapi.yaml", config=CONFIG)
schema.app = answer_500_instead_of_raising(RECORDER)  # set before any operation is built: they copy it


@schemathesis.check
def errors_are_json_objects_naming_a_field(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx is the error object with a message (the SDKs crash on anything else)."""
    if response.status_code < 400 or case.method.upper() == "HEAD":
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {response.text[:120]!r}") from None
    assert isinstance(body, dict), f"error body is not an object: {body!r}"
    assert body.get("success") is False, f"error without success: false: {body!r}"
    assert isinstance(body.get("message"), str) and body["message"], f"error without a message: {body!r}"
    return None


@schemathesis.check
def created_jobs_can_be_polled_at_once(ctx: Any, response: Any, case: Any) -> None:
    """A job the clip call just created must answer at its output_url, not 404."""
    if case.operation.definition.raw.get("operationId") != "createClip" or response.status_code != 200:
        return None
    output_url = response.json()["data"]["output_url"]
    path = "/" + output_url.split("://", 1)[1].split("/", 1)[1]
    poll = case.operation.schema.find_operation_by_id("getAsyncResponse")
    polled = poll.Case(path_parameters={"job_id": path.rsplit("/", 1)[1]}, headers=dict(case.headers or {})).call()
    assert polled.status_code == 200, f"job at {output_url} answered {polled.status_code}: {polled.text[:200]}"
    return None


@schema.parametrize()
def test_every_operation(case: Any) -> None:
    """Each answer passes schemathesis's checks and, on its own, the independent oracle too (per
    case, so the check holds wherever pytest-xdist runs it)."""
    RECORDER.exchanges.clear()
    case.call_and_validate()
    assert RECORDER.exchanges, "the case reached the app"
    assert_conforms(RECORDER)


class ClipWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        # Each sequence starts from an empty emulator: what it is answered (ids, budgets, which
        # links can be followed) then depends on its own requests only, so that hypothesis
        # replays it exactly (otherwise: FlakyStrategyDefinition, depending on what ran before).
        RECORDER.app.state.emulator.reset()
        RECORDER.exchanges.clear()

    def teardown(self) -> None:
        """What schemathesis saw in this sequence, openapi-core judges too."""
        super().teardown()
        assert_conforms(RECORDER)


TestClipWorkflow = ClipWorkflow.TestCase
TestClipWorkflow.settings = hypothesis.settings(
    TestClipWorkflow.settings,
    max_examples=40,
    stateful_step_count=8,
    derandomize=True,
    database=None,
)

