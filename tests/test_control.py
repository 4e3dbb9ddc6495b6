"""Every control feature end to end: the unmodified SDK where it reaches, raw HTTP where it cannot."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest
import videodb
from starlette.testclient import TestClient
from videodb.exceptions import InvalidRequestError

from mockserver import Control
from mockserver.app import Settings, create_app
from mockserver.control import ControlError
from mockserver.resources import default_fixtures_dir
from mockserver.server import ServerThread

from .contract import ContractRecorder, assert_conforms

KEY = "sk-control"
KEYNOTE = "m-7a3f21c4"


@pytest.fixture(params=["url", "app"])
def control(request: pytest.FixtureRequest, recorded_app: ContractRecorder, live_server: ServerThread) -> Iterator[Control]:
    """The same client, against the live server and against the very same app in-process."""
    with (Control(live_server.url) if request.param == "url" else Control(app=recorded_app)) as client:
        yield client


@pytest.fixture
def http(recorded_app: ContractRecorder) -> Iterator[TestClient]:
    with TestClient(recorded_app, headers={"x-access-token": KEY}) as client:
        yield client


def _clip(http: TestClient, prompt: str = "demo", headers: dict[str, str] | None = None) -> str:
    answer = http.post(f"/video/{KEYNOTE}/clip", json={"prompt": prompt}, headers=headers or {})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["output_url"]


def test_health_counts_what_it_holds(control):
    health = control.health()
    assert health["status"] == "ok" and health["videos"] == 5


def test_override_next_jobs_fails_the_sdk_with_its_message(control, live_server):
    ns = control.namespace(KEY)
    ns.override_next(2, outcome="failed", message="Clip generation failed: quota exceeded")
    video = videodb.connect(api_key=KEY, base_url=live_server.url).get_collection().get_video(KEYNOTE)
    for _ in range(2):
        with pytest.raises(InvalidRequestError, match="quota exceeded"):
            video.clip("the demo", "spoken", "basic")
    assert ns.overrides() == []
    assert video.clip("the demo", "spoken", "basic").shots, "the third job is back to the fixture rules"


def test_overrides_beat_prefer_which_beats_fixture_rules(http, recorded_app):
    ns = Control(app=recorded_app).namespace(KEY)
    ruled = http.get(_clip(http, "x", headers={})).json()
    assert ruled["status"] == "done"
    preferred = http.get(_clip(http, "x", headers={"prefer": 'outcome=failed; message="from prefer"'})).json()
    assert preferred == {"success": False, "status": "failed", "message": "from prefer"}
    ns.override_next(outcome="failed", message="from override")
    overridden = http.get(_clip(http, "x", headers={"prefer": "outcome=done"})).json()
    assert overridden["message"] == "from override"
    failing_video = http.post("/video/m-9b4e6a03/clip", json={"prompt": "x"}, headers={"prefer": "outcome=done"}).json()
    assert http.get(failing_video["data"]["output_url"]).json()["status"] == "done", "Prefer beats the always-fail rule"


def test_prefer_polls_and_seconds(http, recorded_app):
    ns = Control(app=recorded_app).namespace(KEY)
    ns.clock.freeze()
    url = _clip(http, headers={"prefer": "polls=2, seconds=30"})
    assert [http.get(url).json()["status"] for _ in range(3)] == ["processing"] * 3  # polls paid, time not
    ns.clock.advance(30)
    assert http.get(url).json()["status"] == "done"
    job = ns.jobs()[0]
    assert job["outcome"] == {"outcome": "done", "polls": 2, "seconds": 30.0, "source": "prefer-header"}


@pytest.mark.parametrize(
    ("prefer", "fragment"),
    [
        ("outcome=maybe", "header.prefer.outcome: must be done or failed"),
        ("polls=-1", "header.prefer.polls: must be a whole number"),
        ("polls=5000", "between 0 and 1000"),
        ("seconds=soon", "header.prefer.seconds: must be a number"),
        ("colour=blue", "unknown preference 'colour'"),
        ("outcome", "header.prefer.outcome: needs a value"),
        ("outcome=done; outcome=failed", "given twice"),
        ('message="unterminated', "malformed"),
    ],
)
def test_a_malformed_prefer_header_is_400(http, prefer, fragment):
    answer = http.post(f"/video/{KEYNOTE}/clip", json={"prompt": "x"}, headers={"prefer": prefer})
    assert answer.status_code == 400 and fragment in answer.json()["message"], answer.text


def test_standard_preferences_are_ignored(http):
    assert http.post(f"/video/{KEYNOTE}/clip", json={"prompt": "x"}, headers={"prefer": "respond-async, wait=5"}).status_code == 200


def test_still_processing_under_a_frozen_clock(control, recorded_app):
    ns = control.namespace(KEY)
    ns.clock.freeze()
    ns.clock.set(0)
    ns.override_next(seconds=30)
    with TestClient(recorded_app, headers={"x-access-token": KEY}) as http:
        url = _clip(http)
        assert ns.clock.advance(29.5) == 29.5
        assert http.get(url).json()["status"] == "processing"
        ns.clock.set(30)
        assert http.get(url).json()["status"] == "done"
        ns.clock.set(0)
        assert http.get(url).json()["status"] == "done", "a terminal job stays terminal when time goes back"


def test_clock_freeze_unfreeze_keeps_time_continuous(control):
    clock = control.namespace(KEY).clock
    frozen_at = clock.freeze()
    assert clock.frozen and clock.now() == frozen_at
    clock.advance(100)
    resumed = clock.unfreeze()
    assert not clock.frozen and resumed >= frozen_at + 100
    assert clock.now() >= resumed
    with pytest.raises(ControlError) as refused:
        clock.advance(-1)
    assert refused.value.status == 400 and "body.seconds" in refused.value.message


def test_finish_and_set_outcome_of_one_job(control, recorded_app):
    ns = control.namespace(KEY)
    ns.override_next(3, polls=50)
    with TestClient(recorded_app, headers={"x-access-token": KEY}) as http:
        first, second, third = (_clip(http) for _ in range(3))
        ids = [job["id"] for job in ns.jobs()]
        assert [job["status"] for job in ns.jobs()] == ["processing"] * 3
        ns.finish(ids[0], "failed", message="forced failure")
        assert http.get(first).json() == {"success": False, "status": "failed", "message": "forced failure"}
        ns.set_outcome(ids[1], polls=1, outcome="failed", message="after one poll")
        assert http.get(second).json()["status"] == "processing"
        assert http.get(second).json()["message"] == "after one poll"
        ns.finish(ids[2], "done")
        assert http.get(third).json()["status"] == "done"
        with pytest.raises(ControlError) as refused:
            ns.finish(ids[2], "failed")
        assert refused.value.status == 409
        with pytest.raises(ControlError) as missing:
            ns.job("job-nope-1")
        assert missing.value.status == 404


def test_reset_forgets_one_namespace_or_all(control, recorded_app):
    with TestClient(recorded_app) as http:
        for key in ("sk-one", "sk-two"):
            http.post(f"/video/{KEYNOTE}/clip", json={"prompt": "x"}, headers={"x-access-token": key})
    control.namespace("sk-one").reset()
    assert control.namespace("sk-one").jobs() == []
    assert len(control.namespace("sk-two").jobs()) == 1
    control.reset()
    assert control.namespace("sk-two").jobs() == []


def test_the_journal_records_what_the_sdk_sent_without_secrets(control, live_server):
    ns = control.namespace(KEY)
    conn = videodb.connect(api_key=KEY, base_url=live_server.url)
    conn.get_collection().get_video(KEYNOTE).clip("the pricing", "spoken", "pro")
    posts = ns.journal(method="POST")
    assert [(e["path"], e["status"]) for e in posts] == [(f"/video/{KEYNOTE}/clip", 200)]
    assert posts[0]["body"] == {"prompt": "the pricing", "content_type": "spoken", "model_name": "pro"}
    assert posts[0]["headers"]["x-videodb-client"].startswith("videodb-python/")
    assert "x-access-token" not in posts[0]["headers"]
    polls = ns.journal(path="/async-response/")
    assert len(polls) == 1 and polls[0]["method"] == "GET"
    everything = ns.journal()
    assert [e["path"] for e in everything][:2] == ["/collection/default", "/video/m-7a3f21c4"]
    assert everything[1]["query"] == {"collection_id": "c-product-videos"}
    ns.clear_journal()
    assert ns.journal() == []


def test_the_journal_keeps_rejected_requests_too(http, recorded_app):
    http.post(f"/video/{KEYNOTE}/clip", content=b"{not json", headers={"content-type": "application/json"})
    entry = Control(app=recorded_app).namespace(KEY).journal()[-1]
    assert entry["status"] == 400 and entry["body"] == "{not json"


def test_reload_fixtures_picks_up_changes_and_refuses_broken_ones(tmp_path):
    for source in default_fixtures_dir().glob("*.yaml"):
        shutil.copy(source, tmp_path / source.name)
    recorder = ContractRecorder(create_app(Settings(fixtures_dir=tmp_path)))
    with Control(app=recorder) as control, TestClient(recorder, headers={"x-access-token": KEY}) as http:
        url = _clip(http)
        (tmp_path / "collections.yaml").write_text("collections:\n  - {id: c-solo, name: Solo, default: true}\n")
        (tmp_path / "videos.yaml").write_text(
            "videos:\n  - {id: m-solo, collection_id: c-solo, name: Solo, length: 9, transcript: [{start: 0, end: 9, text: hello}]}\n"
        )
        (tmp_path / "clip-rules.yaml").write_text("clip_rules: []\n")
        (tmp_path / "job-rules.yaml").write_text("job_rules: []\n")
        assert control.reload_fixtures() == {"collections": 1, "videos": 1, "clip_rules": 0}
        assert http.get("/collection/default").json()["data"]["id"] == "c-solo"
        assert http.get(url).json()["data"]["results"][0]["video_id"] == KEYNOTE, "jobs keep their video"
        (tmp_path / "videos.yaml").write_text("videos: [oops]\n")
        with pytest.raises(ControlError) as refused:
            control.reload_fixtures()
        assert refused.value.status == 400 and "videos.yaml" in refused.value.message
        assert http.get("/collection/default").json()["data"]["id"] == "c-solo", "a bad reload keeps the old fixtures"
    assert_conforms(recorder)


def test_an_admin_token_is_required_once_configured():
    recorder = ContractRecorder(create_app(Settings(admin_token="s3cret")))
    with TestClient(recorder) as http:
        assert http.get("/_emulator/health").status_code == 401
        assert http.get("/_emulator/health", headers={"x-admin-token": "wrong"}).status_code == 401
        assert Control(app=recorder, admin_token="s3cret").health()["status"] == "ok"
    assert_conforms(recorder)


def test_the_control_api_is_closed_beyond_loopback_without_a_token():
    recorder = ContractRecorder(create_app(Settings(admin_open=False)))
    with TestClient(recorder) as http:
        answer = http.get("/_emulator/health")
        assert answer.status_code == 401 and "--admin-token" in answer.json()["message"]
        assert http.get("/collection/default", headers={"x-access-token": KEY}).status_code == 200
    assert_conforms(recorder)


@pytest.mark.parametrize("token", [None, "s3cret"], ids=["open on loopback", "with a token"])
def test_browsers_cannot_be_steered_at_the_control_api(token):
    """Cross-site requests (Origin) and DNS names rebound to loopback (Host) reach nothing."""
    recorder = ContractRecorder(create_app(Settings(admin_token=token, admin_hosts=frozenset({"127.0.0.1"}))))
    credentials = {"x-admin-token": token} if token else {}
    with ServerThread(recorder) as server:
        port = httpx.URL(server.url).port

        def reset_all(**headers: str) -> httpx.Response:
            return httpx.post(f"{server.url}/_emulator/reset", headers={**credentials, **headers})

        assert reset_all(origin="http://evil.example").status_code == 403
        assert "header.origin" in reset_all(origin="http://evil.example").json()["message"]
        assert reset_all(origin=f"http://127.0.0.1:{port}").status_code == 200, "the emulator's own origin is fine"
        for own in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
            assert reset_all(host=own).status_code == 200, own
        rebound = reset_all(host=f"rebound.example:{port}")
        if token:
            assert rebound.status_code == 200, "with a token, the token is the credential whatever the name"
        else:
            assert rebound.status_code == 403 and "header.host" in rebound.json()["message"]
        assert httpx.get(f"{server.url}/collection/default", headers={"x-access-token": KEY, "origin": "http://evil.example"}).status_code == 200
    assert_conforms(recorder)


def test_control_calls_stay_out_of_the_journal(control):
    ns = control.namespace(KEY)
    ns.jobs()
    ns.clock.now()
    assert ns.journal() == []


def test_a_namespace_costs_little_and_lists_no_jobs(control):
    keys = [f"sk-many-{i}" for i in range(50)]
    for key in keys:
        assert control.namespace(key).jobs() == []
    assert control.health()["namespaces"] >= 50


def test_control_refuses_an_ambiguous_target():
    with pytest.raises(ValueError):
        Control()
    with pytest.raises(ValueError):
        Control("http://127.0.0.1:1", app=object())


def test_raw_http_control_matches_the_client(live_server):
    with httpx.Client(base_url=live_server.url) as raw:
        assert raw.post("/_emulator/namespaces/sk-raw/clock/freeze").json()["data"]["frozen"] is True
        assert raw.put("/_emulator/namespaces/sk-raw/clock", json={"now": 0}).json()["data"] == {"now": 0.0, "frozen": True}
        assert raw.post("/_emulator/namespaces/sk-raw/clock/advance", json={"seconds": 2.5}).json()["data"]["now"] == 2.5
        assert raw.put("/_emulator/namespaces/sk-raw/clock", json={"now": "soon"}).status_code == 400


def test_a_wrong_method_lists_every_method_of_the_path(http):
    answer = http.delete("/_emulator/namespaces/sk-x/clock")
    assert answer.status_code == 405
    assert set(answer.headers["allow"].split(", ")) == {"GET", "HEAD", "PUT"}
