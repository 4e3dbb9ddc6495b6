"""The plugin's helpers for a user's own tests: journal assertions, strict mode, server options on
the marker, the request log beside a failed test, fixtures that list api_keys."""

from __future__ import annotations

import textwrap

import pytest

CLIP_CALL = '''
    import httpx

    def clip(videodb_mock, body):
        with httpx.Client(base_url=videodb_mock.base_url, headers=videodb_mock.headers()) as http:
            return http.post("/video/m-7a3f21c4/clip", json=body)
'''


def _run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_user=textwrap.dedent(CLIP_CALL) + textwrap.dedent(source))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_assert_called_matches_method_path_and_body(pytester: pytest.Pytester):
    result = _run(
        pytester,
        '''
        def test_it(videodb_mock):
            clip(videodb_mock, {"prompt": "pricing"})
            clip(videodb_mock, {"prompt": "pricing"})
            calls = videodb_mock.assert_called("post", "/video/m-7a3f21c4/clip", body={"prompt": "pricing"}, times=2)
            assert len(calls) == 2 and calls[0]["status"] == 200
            videodb_mock.assert_not_called("GET", "/collection/default")
        ''',
    )
    result.assert_outcomes(passed=1)


def test_a_mismatch_lists_the_calls_and_diffs_the_body(pytester: pytest.Pytester):
    result = _run(
        pytester,
        '''
        def test_it(videodb_mock):
            clip(videodb_mock, {"prompt": "pricing", "content_type": "visual"})
            videodb_mock.assert_called("POST", "/video/m-7a3f21c4/clip", body={"prompt": "pricing", "content_type": "spoken"})
        ''',
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected POST /video/m-7a3f21c4/clip with that body, it was not made*",
            "*calls made with this test's key (1):*",
            '*1. POST /video/m-7a3f21c4/clip -> 200 body={"content_type": "visual", "prompt": "pricing"}*',
            "*body of the last POST /video/m-7a3f21c4/clip (- expected, + sent):*",
            '*-  "content_type": "spoken",*',
            '*+  "content_type": "visual",*',
        ]
    )


def test_a_wrong_count_says_how_many_were_made(pytester: pytest.Pytester):
    result = _run(
        pytester,
        '''
        def test_it(videodb_mock):
            clip(videodb_mock, {"prompt": "x"})
            videodb_mock.assert_called("POST", "/video/m-7a3f21c4/clip", times=2)
        ''',
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected POST /video/m-7a3f21c4/clip 2 times, it was made once*"])


STRAY_CALLS = '''
    def test_strays(videodb_mock):
        with httpx.Client(base_url=videodb_mock.base_url, headers=videodb_mock.headers()) as http:
            assert http.get("/collection/default/archive").status_code == 404
            assert http.put("/video/m-7a3f21c4").status_code == 405
'''


def test_strict_fails_a_test_whose_key_made_refused_calls(pytester: pytest.Pytester):
    result = _run(pytester, STRAY_CALLS, "--videodb-strict")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*strict: this test's key made 2 call(s) the emulator refused:*",
            "*GET /collection/default/archive -> 404: path '/collection/default/archive': no such operation*",
            "*PUT /video/m-7a3f21c4 -> 405: method PUT is not allowed*",
        ]
    )


def test_without_strict_refused_calls_do_not_fail_the_test(pytester: pytest.Pytester):
    _run(pytester, STRAY_CALLS).assert_outcomes(passed=1)


def test_the_marker_turns_strict_on_for_one_test(pytester: pytest.Pytester):
    source = STRAY_CALLS.replace("def test_strays", "@pytest.mark.videodb(strict=True)\n    def test_strays")
    _run(pytester, "\n    import pytest\n" + source).assert_outcomes(passed=1, errors=1)


def test_the_marker_sets_the_servers_callback_and_admin_options(pytester: pytest.Pytester):
    result = _run(
        pytester,
        '''
        import pytest

        @pytest.mark.videodb(callback_attempts=2, callback_backoff=0.05, callback_secret="s3cret", admin_token="t0ken")
        def test_two_attempts_then_it_gives_up(videodb_mock, videodb_callback_receiver):
            videodb_callback_receiver.respond_with(503, 503, 503)
            clip(videodb_mock, {"prompt": "demo", "callback_url": videodb_callback_receiver.url})
            attempts = videodb_callback_receiver.wait_for(2)
            assert attempts[0].verified("s3cret")
            assert httpx.get(videodb_mock.base_url + "/_emulator/health").status_code == 401, "the token is required"
            assert len(videodb_mock.control.deliveries()) >= 1, "the plugin's control client carries the token"

        def test_the_session_server_keeps_its_defaults(videodb_mock):
            assert httpx.get(videodb_mock.base_url + "/_emulator/health").status_code == 200
        ''',
    )
    result.assert_outcomes(passed=2)


def test_an_unknown_marker_setting_names_the_known_ones(pytester: pytest.Pytester):
    result = _run(pytester, "import pytest\n\n@pytest.mark.videodb(colour='red')\ndef test_it(videodb_mock):\n    pass\n")
    result.stdout.fnmatch_lines(["*unknown settings: colour; known: admin_token, callback_allow*"])


def test_a_failed_test_shows_the_requests_it_made(pytester: pytest.Pytester):
    result = _run(
        pytester,
        '''
        def test_it(videodb_mock):
            clip(videodb_mock, {"prompt": "demo"})
            clip(videodb_mock, {})
            assert False, "my app broke"
        ''',
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Captured log call*",
            "INFO *mockserver.requests*POST /video/m-7a3f21c4/clip sk-test-*200*will be done*",
            "WARNING *mockserver.requests*POST /video/m-7a3f21c4/clip sk-test-*400*refused: body.prompt: required*",
        ]
    )


def test_fixtures_that_list_api_keys_still_serve_the_plugins_keys(pytester: pytest.Pytester):
    folder = pytester.mkdir("keyed")
    (folder / "data.yaml").write_text(
        "api_keys: [sk-team-a]\n"
        "collections:\n  - {id: c-news, name: News, default: true}\n"
        "videos:\n  - {id: m-news-1, collection_id: c-news, name: News, length: 12, transcript: [{start: 0, end: 12, text: hi}]}\n"
    )
    result = _run(
        pytester,
        '''
        def test_it(videodb_mock):
            assert [v.id for v in videodb_mock.connect().get_collection().get_videos()] == ["m-news-1"]
            other = httpx.get(videodb_mock.base_url + "/collection/default", headers={"x-access-token": "sk-team-b"})
            assert other.status_code == 401
            assert other.json()["message"] == "header.x-access-token: not among the api_keys the fixtures list"
        ''',
        "--videodb-fixtures",
        str(folder),
    )
    result.assert_outcomes(passed=1)


def test_the_marker_gives_a_test_a_server_with_fault_rules(pytester: pytest.Pytester):
    faults = pytester.path / "faults.yaml"
    faults.write_text("fault_rules:\n  - {name: down, match: {path: /collection}, fault: {code: 503}}\n")
    result = _run(
        pytester,
        f'''
        import pytest

        @pytest.mark.videodb(faults={str(faults)!r})
        def test_down(videodb_mock):
            with httpx.Client(base_url=videodb_mock.base_url, headers=videodb_mock.headers()) as http:
                assert http.get("/collection/default").status_code == 503

        def test_the_session_server_has_none(videodb_mock):
            with httpx.Client(base_url=videodb_mock.base_url, headers=videodb_mock.headers()) as http:
                assert http.get("/collection/default").status_code == 200
        ''',
    )
    result.assert_outcomes(passed=2)
