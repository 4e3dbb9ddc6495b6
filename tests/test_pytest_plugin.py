"""The pytest plugin, as an SDK developer meets it: installed, so its fixtures just exist."""

from __future__ import annotations

import textwrap

import pytest

from .readme import block_with

# The README's copyable test file, plus a check that each test has a key of its own.
SAMPLE = block_with("python", "def test_success(videodb_mock)").text + textwrap.dedent(
    '''


    def test_each_test_has_its_own_key(videodb_mock, request):
        assert videodb_mock.api_key.startswith("sk-test-")
        assert videodb_mock.control.jobs() == []
        request.config.cache.set("videodb/keys/" + request.node.name, videodb_mock.api_key)
    '''
)
SAMPLE_TESTS = SAMPLE.count("\ndef test_")


def test_the_sample_suite_passes(pytester: pytest.Pytester):
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=SAMPLE_TESTS)


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
