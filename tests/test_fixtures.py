"""Fixture files load into typed data, or are refused with the file and key path of each fault."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from mockserver.app import Settings, create_app
from mockserver.errors import FixtureError
from mockserver.fixtures import load_fixtures
from mockserver.matching import derive_shots, terms
from mockserver.outcomes import JobStatus
from mockserver.resources import default_fixtures_dir
from mockserver.server import ServerThread

COLLECTION = "collections:\n  - {id: c-one, name: One, default: true}\n"
VIDEO = (
    "videos:\n"
    "  - id: m-one\n    collection_id: c-one\n    name: One\n    length: 20\n"
    "    transcript:\n      - {start: 0, end: 10, text: the opening goal}\n      - {start: 10, end: 20, text: a late penalty}\n"
)


def _folder(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    return tmp_path


def _reasons(folder: Path) -> str:
    with pytest.raises(FixtureError) as caught:
        load_fixtures(folder)
    return "\n".join(caught.value.reasons)


def test_the_default_fixtures_load():
    fixtures = load_fixtures(default_fixtures_dir())
    assert fixtures.default_collection_id == "c-product-videos"
    assert len(fixtures.videos) == 5
    failing = [r for r in fixtures.clip_rules if r.outcome.status is JobStatus.FAILED and r.match.video_id]
    assert [r.match.video_id for r in failing] == ["m-9b4e6a03"]


def test_a_minimal_folder_loads(tmp_path):
    fixtures = load_fixtures(_folder(tmp_path, a=COLLECTION, b=VIDEO))
    assert fixtures.videos["m-one"].transcript[1].text == "a late penalty"
    assert fixtures.clip_rules == ()


def test_a_schema_fault_names_the_file_and_key_path(tmp_path):
    bad = VIDEO.replace("length: 20", "length: -3")
    reasons = _reasons(_folder(tmp_path, a=COLLECTION, videos=bad))
    assert "videos.yaml: videos[0].length:" in reasons


def test_unknown_keys_and_missing_fields_are_refused(tmp_path):
    reasons = _reasons(_folder(tmp_path, a=COLLECTION + "  - {id: c-two, nmae: Two}\n", b=VIDEO))
    assert "a.yaml: collections[1]:" in reasons and "'name' is a required property" in reasons


def test_segments_outside_the_video_are_refused(tmp_path):
    bad = VIDEO.replace("{start: 10, end: 20", "{start: 10, end: 25")
    assert "videos[0].transcript[1]: needs 0 <= start < end <= 20.0" in _reasons(_folder(tmp_path, a=COLLECTION, b=bad))


def test_cross_file_faults_are_all_reported(tmp_path):
    rules = (
        "clip_rules:\n"
        "  - {name: r1, match: {video_id: m-missing}, outcome: done}\n"
        "  - {name: r2, match: {prompt_regex: '(unclosed'}, outcome: done}\n"
    )
    broken = "clip_rules:\n  - {name: r3, outcome: failed}\n"
    reasons = _reasons(_folder(tmp_path, a=COLLECTION, b=VIDEO.replace("c-one", "c-nope", 1), c=rules, d=broken))
    assert "c.yaml: clip_rules[0].match.video_id: 'm-missing' names no video" in reasons
    assert "clip_rules[1].match.prompt_regex: not a regular expression RE2 accepts" in reasons
    assert "d.yaml: clip_rules[0]: 'message' is a required property" in reasons
    assert "video m-one: collection_id 'c-nope' names no collection" in reasons


def test_exactly_one_default_collection(tmp_path):
    assert "exactly one collection" in _reasons(_folder(tmp_path, a=COLLECTION.replace(", default: true", ""), b=VIDEO))


def test_unreadable_yaml_is_refused(tmp_path):
    assert "a.yaml: cannot read as YAML" in _reasons(_folder(tmp_path, a="collections: [\n"))


def test_an_empty_or_missing_folder_is_refused(tmp_path):
    assert "holds no *.yaml" in _reasons(tmp_path)
    assert "not a folder" in _reasons(tmp_path / "nope")


def test_derived_shots_are_the_best_overlaps_in_time_order(tmp_path):
    video = load_fixtures(_folder(tmp_path, a=COLLECTION, b=VIDEO)).videos["m-one"]
    shots = derive_shots(video, "Show me the penalty", "spoken")
    assert [(s.start, s.end, s.score) for s in shots] == [(10.0, 20.0, 1.0)]
    both = derive_shots(video, "goals and penalties", "spoken")
    assert [s.start for s in both] == [0.0, 10.0] and all(s.score == 0.5 for s in both)
    nothing = derive_shots(video, "zebra", "spoken")
    assert [(s.start, s.score) for s in nothing] == [(0.0, 0.0)]


def test_terms_drop_filler_and_fold_plurals():
    assert terms("Show me ALL the goals, please!") == {"goal"}


@pytest.mark.parametrize("spelling", [".inf", "-.inf", ".nan", ".NaN"])
def test_numbers_without_a_json_form_are_refused_with_their_key_path(tmp_path, spelling):
    bad = VIDEO.replace("length: 20", f"length: {spelling}")
    reasons = _reasons(_folder(tmp_path, a=COLLECTION, videos=bad))
    assert "videos.yaml: videos[0].length: must be a finite number" in reasons


def test_yaml_aliases_are_refused_before_the_document_is_built(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )  # 9 * 5**20 leaves, were it built
    reasons = _reasons(_folder(tmp_path, a=COLLECTION, b=VIDEO, bomb=bomb))
    assert "bomb.yaml: uses a YAML alias" in reasons


def test_deep_nesting_and_huge_files_are_refused(tmp_path, monkeypatch):
    import mockserver.fixtures as fixtures

    deep = "videos: " + "[" * 40 + "]" * 40 + "\n"
    assert f"deep.yaml: nests deeper than {fixtures.MAX_DEPTH} levels" in _reasons(_folder(tmp_path, a=COLLECTION, b=VIDEO, deep=deep))
    (tmp_path / "deep.yaml").unlink()
    monkeypatch.setattr(fixtures, "MAX_FILE_BYTES", 100)
    assert "b.yaml:" in _reasons(tmp_path) and "more than the 100 a fixture file may hold" in _reasons(tmp_path)


def test_a_fault_quotes_a_short_excerpt_never_the_whole_value(tmp_path):
    huge = "x" * 200_000
    reasons = _reasons(_folder(tmp_path, a=COLLECTION, b=VIDEO.replace("length: 20", f"length: {huge}")))
    assert "b.yaml: videos[0].length:" in reasons and len(reasons) < 2_000


def test_a_link_to_a_file_outside_the_folder_is_not_read(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0:the secret line\n")
    folder = tmp_path / "fixtures"
    folder.mkdir()
    _folder(folder, a=COLLECTION, b=VIDEO)
    (folder / "c.yaml").symlink_to(outside)
    reasons = _reasons(folder)
    assert "c.yaml: links to a file outside the folder; not read" in reasons and "secret line" not in reasons


def test_a_catastrophic_prompt_regex_cannot_wedge_the_server(tmp_path):
    rules = "clip_rules:\n  - {name: nested, match: {prompt_regex: '(a+)+$'}, outcome: failed, message: matched}\n"
    folder = _folder(tmp_path, a=COLLECTION, b=VIDEO, c=rules)
    with ServerThread(create_app(Settings(fixtures_dir=folder))) as server:
        with httpx.Client(base_url=server.url, headers={"x-access-token": "sk-regex"}, timeout=5) as http:
            # Backtracking would take longer than the universe's age on this prompt; RE2 takes microseconds.
            answer = http.post("/video/m-one/clip", json={"prompt": "a" * 4000 + "b"})
            assert answer.status_code == 200
            assert http.get(answer.json()["data"]["output_url"]).json()["status"] == "done", "no match: the default outcome"
            matched = http.post("/video/m-one/clip", json={"prompt": "a" * 4000}).json()
            assert http.get(matched["data"]["output_url"]).json()["message"] == "matched"


def test_a_prompt_regex_that_needs_backtracking_is_refused_naming_file_and_rule(tmp_path):
    rules = "clip_rules:\n  - {name: ok, match: {prompt_regex: '(?i)goal'}, outcome: done}\n  - {name: back, match: {prompt_regex: '(a)\\1'}, outcome: done}\n"
    reasons = _reasons(_folder(tmp_path, a=COLLECTION, b=VIDEO, c=rules))
    assert "c.yaml: clip_rules[1].match.prompt_regex: not a regular expression RE2 accepts" in reasons
    assert "invalid escape sequence" in reasons and "clip_rules[0]" not in reasons


def test_a_reload_of_a_large_folder_does_not_hold_up_other_requests(tmp_path):
    lines = [COLLECTION, "videos:\n"]
    for v in range(200):  # about a second to read and check
        lines.append(f"  - id: m-big-{v}\n    collection_id: c-one\n    name: Big {v}\n    length: 1000\n    transcript:\n")
        lines.extend(f"      - {{start: {s * 10}, end: {s * 10 + 10}, text: segment {s} of video {v}}}\n" for s in range(50))
    folder = _folder(tmp_path, a=COLLECTION, b=VIDEO)
    with ServerThread(create_app(Settings(fixtures_dir=folder))) as server:
        (folder / "b.yaml").write_text("".join(lines[1:]))
        reload_done = threading.Event()
        outcome: list[httpx.Response] = []

        def reload() -> None:
            outcome.append(httpx.post(f"{server.url}/_emulator/fixtures/reload", timeout=60))
            reload_done.set()

        worker = threading.Thread(target=reload)
        worker.start()
        answered_meanwhile = 0
        with httpx.Client(base_url=server.url, headers={"x-access-token": "sk-busy"}, timeout=10) as http:
            while not reload_done.is_set():
                assert http.get("/collection/default").status_code == 200
                answered_meanwhile += not reload_done.is_set()
        worker.join()
        assert outcome[0].status_code == 200 and outcome[0].json()["data"]["videos"] == 200
        # Reading on the event loop answered none (at most one slipped in before the reload began).
        assert answered_meanwhile >= 3, f"only {answered_meanwhile} requests were answered while the reload ran"
