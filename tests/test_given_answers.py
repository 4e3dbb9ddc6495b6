"""Answers given through the control API are served as given, to the right key and operation only,
after the request is checked; they are checked against the contract unless the test says not to."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import videodb

from mockserver.app import Settings, create_app
from mockserver.control import Control, ControlError, given_answer_body
from mockserver.given_answers import AnswerBook
from mockserver.server import ServerThread

from .contract import ContractRecorder, assert_conforms

KEY = "sk-given"
AUTH = {"x-access-token": KEY}
VIDEO = "m-7a3f21c4"
CLIP = f"/video/{VIDEO}/clip"
_SHOT = {"start": 1, "end": 2, "text": "", "score": 0.5}


def _result(shots: int) -> dict:
    return {"collection_id": "c", "video_id": "m-a", "title": "", "length": 10, "docs": [_SHOT] * shots}


ODD_VIDEO = {"success": True, "data": {"id": "m-odd", "collection_id": "c-elsewhere", "length": "12.5", "name": "given"}}


@pytest.fixture
def served() -> Iterator[tuple[str, Control, ContractRecorder]]:
    recorder = ContractRecorder(create_app(Settings()))
    with ServerThread(recorder) as server, Control(server.url) as control:
        yield server.url, control, recorder
    assert_conforms(recorder)


def test_a_given_answer_is_served_byte_for_byte_and_the_operation_does_not_run(served):
    url, control, recorder = served
    ref = {"success": True, "status": "processing", "data": {"id": "given-job", "output_url": url + "/async-response/given-job"}}
    control.namespace(KEY).give_answer("createClip", ref)
    answer = httpx.post(url + CLIP, json={"prompt": "demo"}, headers=AUTH)
    assert answer.status_code == 200
    assert answer.content == json.dumps(ref, separators=(",", ":")).encode()
    assert answer.headers["x-emulator-answer"] == "given"
    assert control.namespace(KEY).jobs() == []  # nothing was created
    (entry,) = control.namespace(KEY).journal()
    assert entry["given"] is True and entry["body"] == {"prompt": "demo"}
    # Used up: the next clip request runs the operation.
    again = httpx.post(url + CLIP, json={"prompt": "demo"}, headers=AUTH)
    assert "x-emulator-answer" not in again.headers and len(control.namespace(KEY).jobs()) == 1
    assert control.namespace(KEY).journal()[-1]["given"] is False


def test_the_request_is_still_checked_and_a_refused_one_uses_nothing(served):
    url, control, _ = served
    control.namespace(KEY).give_answer("getVideo", ODD_VIDEO)
    refused = httpx.get(url + "/video/not-an-id", headers=AUTH)
    assert refused.status_code == 400 and "path.video_id" in refused.json()["message"]
    assert len(control.namespace(KEY).given_answers()) == 1
    served_answer = httpx.get(url + f"/video/{VIDEO}", headers=AUTH)
    assert served_answer.json() == ODD_VIDEO


def test_answers_are_per_key_per_operation_in_order_and_times(served):
    url, control, _ = served
    first = {"success": True, "data": {"id": "m-first", "collection_id": "c", "length": 1}}
    second = {"success": True, "data": {"id": "m-second", "collection_id": "c", "length": 2}}
    control.namespace(KEY).give_answers([given_answer_body("getVideo", first, times=2), given_answer_body("getVideo", second)])
    other_key = httpx.get(url + f"/video/{VIDEO}", headers={"x-access-token": "sk-other"})
    assert other_key.json()["data"]["id"] == VIDEO
    listing = httpx.get(url + "/video", headers=AUTH)
    assert "x-emulator-answer" not in listing.headers  # another operation of the same key
    seen = [httpx.get(url + f"/video/{VIDEO}", headers=AUTH).json()["data"]["id"] for _ in range(4)]
    assert seen == ["m-first", "m-first", "m-second", VIDEO]


def test_poll_answers_can_be_for_one_job_only(served):
    url, control, _ = served
    job = httpx.post(url + CLIP, json={"prompt": "demo"}, headers=AUTH).json()["data"]
    failed = {"success": False, "status": "failed", "message": "given failure"}
    control.namespace(KEY).give_answer("getAsyncResponse", failed, job_id=job["id"])
    unknown = httpx.get(url + "/async-response/some-other-job", headers=AUTH)
    assert unknown.status_code == 404  # not the job the answer is for
    polled = httpx.get(job["output_url"], headers=AUTH)
    assert polled.json() == failed and polled.headers["x-emulator-answer"] == "given"


def test_an_answer_for_a_status_is_served_with_it(served):
    url, control, _ = served
    busy = {"success": False, "message": "slow down"}
    control.namespace(KEY).give_answer("getVideo", busy, status=429)
    answer = httpx.get(url + f"/video/{VIDEO}", headers=AUTH)
    assert answer.status_code == 429 and answer.json() == busy


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (given_answer_body("createClip", {"success": True, "status": "processing", "data": {"id": "j"}}), "body.answers[0].body['data']"),
        (given_answer_body("noSuchOperation", {}), "body.answers[0].operation"),
        (given_answer_body("getVideo", ODD_VIDEO, status=201), "body.answers[0].status"),
        (given_answer_body("getVideo", ODD_VIDEO, job_id="j"), "body.answers[0].job_id"),
        ({"operation": "getVideo"}, "body.answers[0]"),
        (given_answer_body("getAsyncResponse", {"success": True, "status": "done", "data": {"results": [_result(50), _result(51)]}}), "101 shots in all"),
    ],
)
def test_an_answer_outside_the_contract_is_refused_naming_where(served, answer, named):
    _, control, _ = served
    with pytest.raises(ControlError) as refused:
        control.namespace(KEY).give_answers([answer])
    assert refused.value.status == 400 and named in str(refused.value)
    assert control.namespace(KEY).given_answers() == []  # nothing of a refused batch is kept


def test_an_unchecked_answer_is_served_and_marked_so(served):
    url, control, _ = served
    odd = {"success": True, "data": {"id": 42}}
    control.namespace(KEY).give_answer("getVideo", odd, check=False)
    assert control.namespace(KEY).given_answers()[0]["checked"] is False
    answer = httpx.get(url + f"/video/{VIDEO}", headers=AUTH)
    assert answer.json() == odd and answer.headers["x-emulator-answer"] == "given; unchecked"


def test_given_answers_are_bounded_and_cleared_by_a_reset(served):
    _, control, _ = served
    namespace = control.namespace(KEY)
    namespace.give_answers([given_answer_body("getVideo", ODD_VIDEO)] * AnswerBook.MAX_PER_KEY)
    with pytest.raises(ControlError) as refused:
        namespace.give_answer("getVideo", ODD_VIDEO)
    assert refused.value.status == 400 and f"at most {AnswerBook.MAX_PER_KEY}" in str(refused.value)
    namespace.reset()
    assert namespace.given_answers() == []
    namespace.give_answer("getVideo", ODD_VIDEO)
    namespace.clear_given_answers()
    assert namespace.given_answers() == []


def test_the_answer_book_bounds_bytes_across_keys_and_frees_them():
    book = AnswerBook()
    book.MAX_BYTES = 100  # type: ignore[misc]
    from mockserver.given_answers import given_answer

    big = given_answer("getVideo", 200, {"text": "x" * 60}, 1, None, True)
    book.add("sk-a", [big])
    with pytest.raises(Exception, match="at most 100 bytes"):
        book.add("sk-b", [big])
    assert book.take("sk-a", "getVideo", None) is big and not book.armed
    book.add("sk-b", [big])  # its bytes were freed when it was served
    book.clear()
    book.add("sk-c", [big])


def test_the_python_sdk_reads_a_given_poll_answer(served):
    url, control, _ = served
    failed = {"success": False, "status": "failed", "message": "the given failure"}
    control.namespace(KEY).give_answer("getAsyncResponse", failed)
    video = videodb.connect(api_key=KEY, base_url=url).get_collection().get_video(VIDEO)
    with pytest.raises(Exception, match="the given failure"):
        video.clip("demo", content_type="spoken", model_name="basic")
