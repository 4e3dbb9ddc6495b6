"""Jobs answer processing, then done or failed for good: by polls, by clock, never backwards."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mockserver.app import Settings, create_app
from mockserver.clock import VirtualClock
from mockserver.emulator import Emulator
from mockserver.errors import JobIsTerminal
from mockserver.fixtures import load_fixtures
from mockserver.jobs import Job
from mockserver.kinds.clip import ClipSubject
from mockserver.memory_store import MemoryStore
from mockserver.model import ClipRequest, Video
from mockserver.outcomes import JobStatus, Outcome
from mockserver.resources import default_fixtures_dir
from mockserver.store import StoreLimits

from .conftest import AUTH, KEY
from .contract import ContractRecorder, assert_conforms

REQUEST = ClipRequest(video_id="m-7a3f21c4", prompt="demo")
VIDEO = Video(id="m-7a3f21c4", collection_id="c-1", name="keynote", length=176.4)


def _job(**outcome: object) -> Job:
    return Job("job-x-1", 1, "clip", ClipSubject.of(REQUEST, VIDEO), Outcome(**outcome), created_at=100.0)  # type: ignore[arg-type]


def _polls(job: Job, *times: float) -> list[JobStatus]:
    """The statuses a series of polls at these times answer."""
    answered = []
    for now in times:
        job = job.polled(now)
        answered.append(job.status)
    return answered


def test_default_job_is_terminal_on_first_poll():
    assert _job().polled(100.0).status is JobStatus.DONE


def test_poll_driven_job_answers_processing_n_times():
    job = _job(processing_polls=3, status=JobStatus.FAILED, message="no")
    assert _polls(job, *[100.0] * 5) == [JobStatus.PROCESSING] * 3 + [JobStatus.FAILED] * 2


def test_time_driven_job_follows_the_clock_and_never_goes_back():
    job = _job(processing_seconds=30).polled(129.9)
    assert job.status is JobStatus.PROCESSING
    assert job.status_at(130.0) is JobStatus.DONE and job.status is JobStatus.PROCESSING, "peeking changes nothing"
    job = job.polled(130.0)
    assert job.status is JobStatus.DONE
    assert job.polled(0.0).status is JobStatus.DONE, "a clock set backwards cannot undo a terminal state"


def test_polls_and_seconds_must_both_be_satisfied():
    job = _job(processing_polls=1, processing_seconds=10)
    assert _polls(job, 200.0, 200.0) == [JobStatus.PROCESSING, JobStatus.DONE]  # time passed, but one processing answer was owed
    assert _polls(job, 101.0, 105.0, 110.0) == [JobStatus.PROCESSING] * 2 + [JobStatus.DONE]  # the poll is paid, the time is not


def test_a_job_is_a_value_each_step_returns_a_new_one():
    job = _job(processing_polls=1)
    after = job.polled(100.0)
    assert job.processing_answers == 0 and after.processing_answers == 1, "the earlier value is untouched"
    ended = after.finished(JobStatus.FAILED, "stop", "forced", 100.0)
    assert ended.terminal and ended.outcome.message == "stop" and not after.terminal
    with pytest.raises(JobIsTerminal):
        ended.finished(JobStatus.DONE, None, "forced", 101.0)
    with pytest.raises(JobIsTerminal):
        ended.rescheduled(Outcome())
    assert ended.polled(1e9) is ended and ended.settled(1e9) is ended


def test_a_callback_job_ends_by_its_clock_alone():
    job = _job(processing_polls=5, processing_seconds=10)._replace(callback_url="http://127.0.0.1:9/hook")
    assert job.settled(109.0).terminal is False
    assert job.settled(110.0).terminal is True, "processing_polls does not apply to a job with a callback"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def virtual_client(clock, tmp_path):
    """The emulator on a frozen clock, with one extra rule that is slow by time."""
    rules = tmp_path / "zz-rules.yaml"
    rules.write_text(
        "clip_rules:\n"
        "  - name: slow-by-time\n"
        "    match: {prompt_contains: 'slow by time'}\n"
        "    outcome: done\n"
        "    processing_seconds: 30\n"
    )
    for source in default_fixtures_dir().glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text())
    emulator = Emulator(load_fixtures(tmp_path), seed=0, store=MemoryStore(0, clock=clock))
    recorder = ContractRecorder(create_app(Settings(), emulator=emulator))
    with TestClient(recorder, headers=AUTH) as client:
        yield client
    assert_conforms(recorder)


def _start(client: TestClient, prompt: str, model: str = "basic", video: str = "m-7a3f21c4") -> str:
    answer = client.post(f"/video/{video}/clip", json={"prompt": prompt, "model_name": model})
    assert answer.status_code == 200 and answer.json()["status"] == "processing"
    return answer.json()["data"]["output_url"]


def test_time_driven_job_over_http(virtual_client, clock):
    url = _start(virtual_client, "slow by time: the demo")
    clock.advance(29)
    assert virtual_client.get(url).json()["status"] == "processing"
    clock.advance(1)
    done = virtual_client.get(url)
    assert done.json()["status"] == "done"
    clock.set(0)
    assert virtual_client.get(url).content == done.content


def test_poll_driven_job_over_http_is_monotonic_and_stable(virtual_client):
    url = _start(virtual_client, "pricing", model="ultra")
    answers = [virtual_client.get(url) for _ in range(6)]
    statuses = [a.json()["status"] for a in answers]
    assert statuses == ["processing", "processing", "done", "done", "done", "done"]
    assert len({a.content for a in answers[2:]}) == 1, "a terminal answer never changes"
    processing = answers[0].json()
    assert processing["data"]["output_url"] == url and processing["success"] is True


def test_failed_job_answers_failed_with_the_rule_message(virtual_client):
    url = _start(virtual_client, "anything", video="m-9b4e6a03")
    body = virtual_client.get(url).json()
    assert body == {"success": False, "status": "failed", "message": "Clip generation failed: the source media of m-9b4e6a03 could not be decoded"}


def test_output_url_is_absolute_and_follows_the_host(virtual_client):
    url = _start(virtual_client, "demo")
    assert url.startswith("http://testserver/async-response/job-")
    other = virtual_client.post("/video/m-7a3f21c4/clip", json={"prompt": "demo"}, headers={"host": "videodb.test:9000"})
    assert other.json()["data"]["output_url"].startswith("http://videodb.test:9000/async-response/")


def test_public_url_overrides_the_host():
    recorder = ContractRecorder(create_app(Settings(public_url="https://emulator.example/")))
    with TestClient(recorder, headers=AUTH) as client:
        answer = client.post("/video/m-7a3f21c4/clip", json={"prompt": "demo"})
    assert answer.json()["data"]["output_url"].startswith("https://emulator.example/async-response/job-")
    assert_conforms(recorder)


def test_a_flood_of_jobs_stays_bounded_and_evicted_jobs_say_they_expired():
    recorder = ContractRecorder(create_app(Settings(limits=StoreLimits(max_jobs_per_namespace=5))))
    with TestClient(recorder, headers=AUTH) as client:
        urls = [client.post("/video/m-7a3f21c4/clip", json={"prompt": f"demo {i}"}).json()["data"]["output_url"] for i in range(8)]
        emulator = recorder.app.state.emulator
        assert len(emulator.store.jobs(KEY)) == 5
        expired = client.get(urls[0])
        assert expired.status_code == 404 and expired.json()["error_code"] == "expired"
        assert "expired" in expired.json()["message"]
        assert client.get(urls[-1]).json()["status"] == "done"
        stranger = client.get("/async-response/job-deadbeef00-3")
        assert stranger.status_code == 404 and stranger.json()["error_code"] == "not_found"
    assert_conforms(recorder)


def test_the_total_job_cap_evicts_the_oldest_across_keys():
    recorder = ContractRecorder(create_app(Settings(limits=StoreLimits(max_jobs=4, max_jobs_per_namespace=3))))
    with TestClient(recorder) as client:
        urls = []
        for i in range(6):
            key = {"x-access-token": f"sk-flood-{i % 2}"}
            answer = client.post("/video/m-7a3f21c4/clip", json={"prompt": f"demo {i}"}, headers=key)
            urls.append((key, answer.json()["data"]["output_url"]))
        emulator = recorder.app.state.emulator
        assert emulator.store.job_count == 4
        statuses = [client.get(url, headers=key).status_code for key, url in urls]
        assert statuses == [404, 404, 200, 200, 200, 200], "the two oldest jobs, one per key, were evicted"
        assert client.get(urls[0][1], headers=urls[0][0]).json()["error_code"] == "expired"
        emulator.reset("sk-flood-0")
        assert emulator.store.job_count == 2
        emulator.reset()
        assert emulator.store.job_count == 0
    assert_conforms(recorder)


def test_long_prompts_and_callback_urls_are_bounded_in_all_not_per_job():
    limits = StoreLimits(max_job_bytes=60_000)  # about ten jobs of the longest prompt and callback URL
    recorder = ContractRecorder(create_app(Settings(limits=limits)))
    hostile = {"x-access-token": "sk-long-strings"}
    polite = {"x-access-token": "sk-polite"}
    with TestClient(recorder) as client:
        first = client.post("/video/m-7a3f21c4/clip", json={"prompt": "demo"}, headers=polite).json()["data"]["output_url"]
        urls = []
        for i in range(40):
            body = {"prompt": f"{i:04d}" + "p" * 4092, "callback_url": "http://127.0.0.1:9/" + "c" * 2000}
            urls.append(client.post("/video/m-7a3f21c4/clip", json=body, headers=hostile).json()["data"]["output_url"])
        store = recorder.app.state.emulator.store
        assert store.job_bytes <= limits.max_job_bytes
        assert client.get(first, headers=polite).json()["error_code"] == "expired", "the least recently used key paid first"
        kept = [client.get(url, headers=hostile).status_code for url in urls]
        assert kept[-1] == 200 and kept[0] == 404 and kept == sorted(kept, reverse=True), "the newest are kept"
        recorder.app.state.emulator.reset()
        assert store.job_bytes == 0
    assert_conforms(recorder)


def test_a_long_flood_keeps_the_store_and_its_queues_small():
    store = MemoryStore(0, StoreLimits(max_jobs=50, max_jobs_per_namespace=20))
    emulator = Emulator(load_fixtures(default_fixtures_dir()), seed=0, store=store)
    for i in range(3_000):
        emulator.create_clip(f"sk-k{i % 7}", ClipRequest(video_id="m-7a3f21c4", prompt="demo"))
    assert store.job_count == 50
    for i in range(7):
        namespace = store._namespaces[f"sk-k{i}"]
        assert list(namespace.order) == list(namespace.jobs), "the eviction queue mirrors the jobs exactly"
        assert len(namespace.jobs) <= 20


def test_every_host_gets_its_own_output_url_and_few_are_remembered(virtual_client):
    from mockserver import endpoint

    for i in range(150):
        answer = virtual_client.post("/video/m-7a3f21c4/clip", json={"prompt": "demo"}, headers={"host": f"h{i}.test"})
        assert answer.json()["data"]["output_url"].startswith(f"http://h{i}.test/async-response/")
    assert len(endpoint._BASE_URLS) <= endpoint._BASE_URLS_KEPT, "hosts are the client's to choose: the cache stays small"


def test_a_key_evicted_whole_never_hands_out_an_old_id_again():
    limits = StoreLimits(max_namespaces=2, remembered_keys=2)
    recorder = ContractRecorder(create_app(Settings(limits=limits)))
    with TestClient(recorder) as client:

        def clip(key: str) -> str:
            answer = client.post("/video/m-7a3f21c4/clip", json={"prompt": "demo"}, headers={"x-access-token": key})
            return answer.json()["data"]["output_url"]

        first = clip("sk-returning")
        clip("sk-other-1")
        clip("sk-other-2")  # the bound on keys forgets sk-returning whole
        again = clip("sk-returning")
        assert again != first and again.endswith("-2"), "its sequence goes on where it stopped"
        old = client.get(first, headers={"x-access-token": "sk-returning"})
        assert old.status_code == 404 and old.json()["error_code"] == "expired", "an old output_url never answers another job"
        for i in range(3):  # past remembered_keys, the oldest forgotten key starts over: memory stays bounded
            clip(f"sk-churn-{i}")
        assert len(recorder.app.state.emulator.store._retired) <= limits.remembered_keys
    assert_conforms(recorder)
