"""The pytest plugin, as an SDK developer meets it: installed, so its fixtures just exist."""

from __future__ import annotations

import textwrap

import pytest

SAMPLE = textwrap.dedent(
    '''
    import httpx
    import pytest
    from videodb.exceptions import InvalidRequestError


    def test_success(videodb_mock):
        clip = videodb_mock.connect().get_collection().get_video("m-5d10f7e2").clip("every goal", "spoken", "basic")
        assert clip.shots and all(0 <= s.start < s.end for s in clip.shots)


    def test_failure_after_two_polls(videodb_mock):
        videodb_mock.control.override_next(outcome="failed", polls=2, message="encoder crashed")
        with httpx.Client(base_url=videodb_mock.base_url, headers=videodb_mock.headers()) as http:
            url = http.post("/video/m-7a3f21c4/clip", json={"prompt": "demo"}).json()["data"]["output_url"]
            answers = [http.get(url).json() for _ in range(3)]
        assert [a["status"] for a in answers] == ["processing", "processing", "failed"]
        assert answers[-1]["message"] == "encoder crashed"


    @pytest.mark.videodb(clock="virtual")
    def test_still_processing_under_a_frozen_clock(videodb_mock):
        videodb_mock.control.override_next(seconds=30)
        with httpx.Client(base_url=videodb_mock.base_url, headers=videodb_mock.headers()) as http:
            url = http.post("/video/m-7a3f21c4/clip", json={"prompt": "demo"}).json()["data"]["output_url"]
            videodb_mock.clock.advance(29)
            assert http.get(url).json()["status"] == "processing"
            videodb_mock.clock.advance(1)
            assert http.get(url).json()["status"] == "done"


    def test_journal_shows_what_my_code_sent(videodb_mock):
        video = videodb_mock.connect().get_collection().get_video("m-7a3f21c4")
        video.clip("pricing", "spoken", "pro")
        sent = videodb_mock.control.journal(method="POST", path="/clip")
        assert [e["body"] for e in sent] == [{"prompt": "pricing", "content_type": "spoken", "model_name": "pro"}]


    def test_the_failing_video_fails(videodb_mock):
        with pytest.raises(InvalidRequestError, match="could not be decoded"):
            videodb_mock.connect().get_collection().get_video("m-9b4e6a03").clip("x", "spoken", "basic")


    def test_each_test_has_its_own_key(videodb_mock, request):
        assert videodb_mock.api_key.startswith("sk-test-")
        assert videodb_mock.control.jobs() == []
        request.config.cache.set("videodb/keys/" + request.node.name, videodb_mock.api_key)
    '''
)


def test_the_sample_suite_passes(pytester: pytest.Pytester):
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=6)


def test_the_sample_suite_passes_under_xdist(pytester: pytest.Pytester):
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*2 workers*"])


def test_virtual_clock_option_and_seed_marker(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_options=textwrap.dedent(
            '''
            import pytest

            def test_clock_is_frozen(videodb_mock):
                assert videodb_mock.clock.frozen

            @pytest.mark.videodb(seed=99)
            def test_other_seed_other_server(videodb_mock, videodb_emulator):
                assert videodb_mock.base_url != videodb_emulator.url
                assert videodb_mock.server.seed == 99

            @pytest.mark.videodb(colour="blue")
            def test_unknown_marker_settings_are_refused(videodb_mock):
                pass
            '''
        )
    )
    result = pytester.runpytest_subprocess("--videodb-clock", "virtual")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*unknown settings: colour*"])


def test_fixtures_option_points_at_another_folder(pytester: pytest.Pytester):
    folder = pytester.mkdir("my-fixtures")
    (folder / "data.yaml").write_text(
        "collections:\n  - {id: c-mine, name: Mine, default: true}\n"
        "videos:\n  - {id: m-mine, collection_id: c-mine, name: Mine, length: 12, transcript: [{start: 0, end: 12, text: hi}]}\n"
    )
    pytester.makepyfile(
        test_mine=textwrap.dedent(
            '''
            def test_my_fixtures(videodb_mock):
                videos = videodb_mock.connect().get_collection().get_videos()
                assert [v.id for v in videos] == ["m-mine"]
            '''
        )
    )
    pytester.runpytest_subprocess("--videodb-fixtures", str(folder)).assert_outcomes(passed=1)


def test_same_test_same_key_across_runs(pytester: pytest.Pytester):
    pytester.makepyfile(test_sample=SAMPLE)
    keys = []
    for _ in range(2):
        pytester.runpytest_subprocess("-k", "own_key").assert_outcomes(passed=1, deselected=5)
        keys.append((pytester.path / ".pytest_cache" / "v" / "videodb" / "keys" / "test_each_test_has_its_own_key").read_text())
    assert keys[0] == keys[1]


def test_the_receiver_fixture_collects_callbacks(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_hooks=textwrap.dedent(
            '''
            import httpx

            def test_my_webhook_gets_the_result(videodb_mock, videodb_callback_receiver):
                with httpx.Client(base_url=videodb_mock.base_url, headers=videodb_mock.headers()) as http:
                    job = http.post(
                        "/video/m-7a3f21c4/clip",
                        json={"prompt": "demo", "callback_url": videodb_callback_receiver.url},
                    ).json()["data"]
                delivery = videodb_callback_receiver.wait_for(1)[0]
                assert delivery.json["job_id"] == job["id"] and delivery.json["status"] == "done"
                assert delivery.verified("emulator-callback-secret")
            '''
        )
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
