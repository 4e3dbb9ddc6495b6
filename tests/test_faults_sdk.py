"""What the unmodified Python SDK (videodb 0.5.1) does with each fault, pinned: the README's table
of faults is this file's findings. Faults are set through the control API (the SDK sends no
Prefer header), on the SDK's first call of a journey."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import videodb
from videodb.exceptions import AuthenticationError, InvalidRequestError

from mockserver import Control
from mockserver.app import Settings, create_app
from mockserver.server import ServerThread

from .contract import ContractRecorder, assert_conforms

KEY = "sk-sdk-faults"


@pytest.fixture
def sdk() -> Iterator[tuple[object, object]]:
    recorder = ContractRecorder(create_app(Settings()))
    with ServerThread(recorder) as server:
        namespace = Control(server.url).namespace(KEY)
        yield videodb.connect(api_key=KEY, base_url=server.url), namespace
    assert_conforms(recorder)


def _calls(namespace) -> list[dict]:
    return [entry for entry in namespace.journal() if entry["path"].startswith("/collection")]


@pytest.mark.parametrize(
    ("fault", "outcome", "calls"),
    [
        ({"code": 503}, "ok", 2),  # retried once
        ({"code": 502}, "ok", 2),
        ({"code": 504}, "ok", 2),
        ({"code": 503, "times": 2}, InvalidRequestError, 2),  # one retry only
        ({"code": 429}, InvalidRequestError, 1),  # not retried
        ({"code": 500}, InvalidRequestError, 1),
        ({"code": 404}, InvalidRequestError, 1),
        ({"code": 401}, AuthenticationError, 1),
        ({"drop": "close"}, "ok", 2),  # a lost connection is retried once
        ({"drop": "reset"}, "ok", 2),
        ({"drop": "close", "times": 2}, InvalidRequestError, 2),
        ({"drop": "truncate"}, InvalidRequestError, 1),  # a cut body is not
    ],
    ids=lambda value: str(value) if not isinstance(value, type) else value.__name__,
)
def test_what_the_python_sdk_does_with_a_fault(sdk, fault, outcome, calls):
    connection, namespace = sdk
    namespace.add_fault(**fault, path="/collection")
    if outcome == "ok":
        assert connection.get_collection().id == "c-product-videos"
    else:
        with pytest.raises(outcome):
            connection.get_collection()
    made = _calls(namespace)
    assert len(made) == calls
    assert made[0]["fault"] is not None and made[0]["status"] == fault.get("code", 200)


def test_the_python_sdk_honours_retry_after(sdk):
    connection, namespace = sdk
    namespace.add_fault(code=503, retry_after=2, path="/collection")
    began = time.monotonic()
    assert connection.get_collection().id == "c-product-videos"
    first, second = _calls(namespace)
    assert 2.0 <= second["time"] - first["time"] < 4.0 and time.monotonic() - began >= 2.0


def test_a_delay_is_waited_out(sdk):
    connection, namespace = sdk
    namespace.add_fault(delay=1, path="/collection")
    began = time.monotonic()
    assert connection.get_collection().id == "c-product-videos"
    assert time.monotonic() - began >= 1.0 and len(_calls(namespace)) == 1


def test_faults_match_method_and_path_and_are_used_up(sdk):
    connection, namespace = sdk
    namespace.add_fault(code=429, times=2, method="POST", path="/clip")
    assert [f["remaining"] for f in namespace.faults()] == [2]
    video = connection.get_collection().get_video("m-7a3f21c4")  # GETs: untouched
    with pytest.raises(InvalidRequestError):
        video.clip("demo", "spoken", "basic")
    assert [f["remaining"] for f in namespace.faults()] == [1]
    namespace.reset()
    assert namespace.faults() == [], "a reset clears a key's faults"
    assert video.clip("demo", "spoken", "basic").shots


@pytest.mark.parametrize(("poll_code", "outcome"), [(503, "ok"), (500, InvalidRequestError)])
def test_what_the_python_sdk_does_with_a_poll_fault(sdk, poll_code, outcome):
    connection, namespace = sdk
    namespace.override_next(poll_code=poll_code)
    video = connection.get_collection().get_video("m-7a3f21c4")
    if outcome == "ok":
        assert video.clip("demo", "spoken", "basic").shots  # the poll is retried once, then answered
    else:
        with pytest.raises(outcome):
            video.clip("demo", "spoken", "basic")
    polls = [e for e in namespace.journal() if e["path"].startswith("/async-response")]
    assert polls[0]["status"] == poll_code and polls[0]["fault"] == f"poll-code={poll_code}"
    assert len(polls) == (2 if outcome == "ok" else 1)
