"""The traffic policy on its own: the allow-list, the job budget, the rate and Retry-After, without a network."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from mockserver.conformance.contract import OperationRef
from mockserver.conformance.traffic import (
    MAX_RETRIES,
    AllowList,
    JobBudget,
    JobBudgetSpent,
    OutsideAllowList,
    RateLimiter,
    TrafficPolicy,
    retry_after_seconds,
)

BASE = "https://staging.example/api"
CLIP = OperationRef("createClip", "POST", "/video/{video_id}/clip")


class FakeAnswer:
    def __init__(self, status: int, retry_after: str | None = None) -> None:
        self.status = status
        self.retry_after = retry_after


def _policy(budget: int = 5, sleeps: list[float] | None = None) -> TrafficPolicy:
    slept = sleeps if sleeps is not None else []
    return TrafficPolicy(BASE, rate_limit=None, budget=JobBudget(budget), job_creation=[(CLIP.method, CLIP.path_pattern())], sleep=slept.append)


def _send(policy: TrafficPolicy, method: str, url: str, answers: list[FakeAnswer]) -> FakeAnswer:
    queue = iter(answers)
    return policy.send(method, url, lambda: next(queue), lambda answer: answer.status, lambda answer: answer.retry_after)


def test_the_allow_list_holds_the_base_url_and_the_urls_handed_out():
    allowed = AllowList(BASE)
    assert allowed.permits("https://staging.example/api/video?collection_id=x")
    assert allowed.permits("https://STAGING.example/api")
    assert not allowed.permits("https://staging.example/apiary")
    assert not allowed.permits("http://staging.example/api/video"), "another scheme is another origin"
    assert not allowed.permits("https://jobs.example/async/1")
    allowed.admit("https://jobs.example/async/1")
    assert allowed.permits("https://jobs.example/async/1")
    assert not allowed.permits("https://jobs.example/async/2"), "only the URL handed out, not its host"


def test_a_request_outside_the_allow_list_is_never_sent():
    sent: list[str] = []
    with pytest.raises(OutsideAllowList):
        _policy().send("GET", "https://elsewhere.example/", lambda: sent.append("x"), lambda a: 200, lambda a: None)
    assert sent == []


def test_job_creation_is_recognised_however_the_path_is_spelled():
    policy = _policy()
    assert policy.creates_job("POST", BASE + "/video/m-1/clip")
    assert policy.creates_job("post", BASE + "//video/m-1/clip/")
    assert policy.creates_job("POST", BASE + "/video/m-1%2Fx/clip")
    assert not policy.creates_job("GET", BASE + "/video/m-1/clip")
    assert not policy.creates_job("POST", BASE + "/video/m-1/stream")


def test_the_budget_refunds_refused_requests_and_stops_at_its_limit():
    policy = _policy(budget=2)
    url = BASE + "/video/m-1/clip"
    assert _send(policy, "POST", url, [FakeAnswer(400)]).status == 400
    assert _send(policy, "POST", url, [FakeAnswer(200)]).status == 200
    assert _send(policy, "POST", url, [FakeAnswer(500)]).status == 500, "a 5xx may have created a job: it counts"
    with pytest.raises(JobBudgetSpent):
        _send(policy, "POST", url, [FakeAnswer(200)])
    assert policy.budget.spent == 2 and policy.job_requests_sent == 3


def test_a_share_cannot_spend_more_than_its_parent():
    run = JobBudget(3)
    first = run.share(2)
    assert first.claim() and first.claim() and not first.claim()
    second = run.share(5)
    assert second.limit == 1 and second.claim() and not second.claim()
    second.refund()
    assert run.remaining == 1


def test_retry_after_is_waited_for_then_the_request_sent_again():
    sleeps: list[float] = []
    policy = _policy(sleeps=sleeps)
    answer = _send(policy, "GET", BASE + "/video", [FakeAnswer(429, "1.5"), FakeAnswer(503, "0"), FakeAnswer(200)])
    assert answer.status == 200 and sleeps == [1.5, 0.0]


def test_retries_are_bounded_and_long_waits_are_not_made():
    sleeps: list[float] = []
    policy = _policy(sleeps=sleeps)
    answers = [FakeAnswer(429, "0.1")] * (MAX_RETRIES + 5)
    assert _send(policy, "GET", BASE + "/video", answers).status == 429
    assert len(sleeps) == MAX_RETRIES
    assert _send(policy, "GET", BASE + "/video", [FakeAnswer(429, "3600"), FakeAnswer(200)]).status == 429
    assert _send(policy, "GET", BASE + "/video", [FakeAnswer(429), FakeAnswer(200)]).status == 429, "no header, no retry"


def test_a_503_is_retried_for_reads_only():
    sleeps: list[float] = []
    policy = _policy(sleeps=sleeps)
    assert _send(policy, "POST", BASE + "/compile", [FakeAnswer(503, "0"), FakeAnswer(200)]).status == 503
    assert sleeps == []


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds(" 0.5 ") == 0.5
    in_ten = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=10), usegmt=True)
    assert 8 < retry_after_seconds(in_ten) <= 10
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_the_rate_limiter_spaces_request_starts():
    sleeps: list[float] = []
    limiter = RateLimiter(10.0, sleep=sleeps.append)
    for _ in range(5):
        limiter.wait()
    assert len(sleeps) == 4 and all(0.05 < pause <= 0.4 for pause in sleeps)
