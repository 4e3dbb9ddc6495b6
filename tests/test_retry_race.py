"""The obvious frozen-clock retry test, written as a user would: it must pass every time.

The receiver sees an attempt before the emulator has its answer; the test advances the clock in
that gap. The move counts towards the wait before the retry, so the retry always comes."""

from __future__ import annotations

import time

import httpx
import pytest

from .test_callbacks import attempts_until

RUNS = 50


@pytest.mark.videodb(clock="virtual")
def test_wait_for_a_failed_attempt_advance_by_the_backoff_and_the_retry_comes(videodb_mock, videodb_callback_receiver):
    receiver = videodb_callback_receiver
    with httpx.Client(base_url=videodb_mock.base_url, headers=videodb_mock.headers()) as http:
        for run in range(RUNS):
            receiver.respond_with(503)  # the first attempt fails, the retry is accepted
            http.post("/video/m-7a3f21c4/clip", json={"prompt": f"run {run}", "callback_url": receiver.url})
            first = receiver.wait_for(2 * run + 1)[-1]
            assert first.headers["x-emulator-attempt"] == "1"
            videodb_mock.clock.advance(1)  # the default backoff before the second attempt
            retry = receiver.wait_for(2 * run + 2, timeout=5)
            assert len(retry) == 2 * run + 2, f"run {run}: the retry never came"
            assert retry[-1].headers["x-emulator-attempt"] == "2" and retry[-1].delivery_id == first.delivery_id


@pytest.mark.videodb(clock="virtual")
def test_a_move_before_the_attempt_was_sent_does_not_shorten_its_retry_wait(videodb_mock, videodb_callback_receiver):
    receiver = videodb_callback_receiver
    receiver.respond_with(503)
    with httpx.Client(base_url=videodb_mock.base_url, headers=videodb_mock.headers()) as http:
        http.post("/video/m-7a3f21c4/clip", json={"prompt": "demo", "callback_url": receiver.url}, headers={"prefer": "callback-delay=10"})
        videodb_mock.clock.advance(10)  # the first attempt falls due: this move is not "while on the wire"
        receiver.wait_for(1)
        attempts = attempts_until(videodb_mock.control, 1, timeout=5)
        videodb_mock.clock.advance(0.5)
        time.sleep(0.3)  # a retry sent now would have arrived by then
        assert len(receiver.deliveries) == 1, "half the backoff is not enough"
        videodb_mock.clock.advance(0.5)
        assert len(receiver.wait_for(2, timeout=5)) == 2
    assert attempts[0]["status"] == 503

