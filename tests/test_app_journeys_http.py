"""The operations beyond clip over HTTP: the upload target's bounds and credentials, Python's nulls and
Node's omissions, steering the new job kinds, keys kept apart, resets, bounds, determinism and the 501s."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver.app import Settings, create_app
from mockserver.library import LibraryLimits
from mockserver.receiver import CallbackReceiver
from mockserver.server import ServerThread

from .conftest import AUTH, ROOT
from .contract import ContractRecorder, assert_conforms

FOOTBALL_URL = "https://media.example.com/harbor-city-vs-northvale.mp4"
PYTHON_UPLOAD = {"url": FOOTBALL_URL, "name": None, "description": None, "callback_url": None, "media_type": None}


def _local(url: str) -> str:
    return url.replace("http://testserver", "")


def _finish(client: TestClient, answer: httpx.Response) -> dict:
    """The final answer of the job an answer started (jobs are done on their first poll by default)."""
    assert answer.status_code == 200, answer.text
    return client.get(_local(answer.json()["data"]["output_url"])).json()


def _slot(client: TestClient, name: str | None = None) -> str:
    answer = client.get("/collection/default/upload_url", params={"name": name} if name else {})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["upload_url"]


def _post_file(client: TestClient, upload_url: str, content: bytes, filename: str = "clip.mp4") -> httpx.Response:
    # No API key, as the Python SDK posts it: the token is the credential.
    return client.post(_local(upload_url), files={"file": (filename, content, "application/octet-stream")}, headers={"x-access-token": ""})


# Uploads ------------------------------------------------------------------------------------------
def test_an_upload_answers_a_job_whose_done_answer_is_the_new_video(client):
    done = _finish(client, client.post("/collection/default/upload", json=PYTHON_UPLOAD))
    video = done["data"]
    assert done["status"] == "done" and video["id"].startswith("m-") and video["length"] == 188
    assert video["name"] == "harbor-city-vs-northvale", "no name given: the URL's file name"
    assert client.get(f"/video/{video['id']}").json()["data"] == video


def test_media_type_and_extension_pick_audio_and_image(client):
    audio = _finish(client, client.post("/collection/default/upload", json={"url": "https://x.example/song.mp3"}))["data"]
    image = _finish(client, client.post("/collection/default/upload", json={**PYTHON_UPLOAD, "media_type": "image"}))["data"]
    assert audio["id"].startswith("a-") and audio["length"] > 0
    assert image["id"].startswith("img-") and image["url"].startswith("http://testserver/")
    listed = [v["id"] for v in client.get("/video").json()["data"]["videos"]]
    assert audio["id"] not in listed and image["id"] not in listed, "audio and images are not videos"


def test_a_file_upload_keeps_its_size_and_the_same_bytes_pick_the_same_template(client):
    content = b"frame" * 1000
    first = _slot(client, "reel")
    received = _post_file(client, first, content)
    assert received.status_code == 200 and received.json()["data"]["size"] == len(content)
    video = _finish(client, client.post("/collection/default/upload", json={"url": first}))["data"]
    assert video["name"] == "reel"
    second = _slot(client)
    _post_file(client, second, content, "reel two.mp4")
    again = _finish(client, client.post("/collection/default/upload", json={"url": second}))["data"]
    assert again["name"] == "reel two" and again["length"] == video["length"]
    journaled = [e for e in client.get("/_emulator/namespaces/sk-test-key/journal").json()["data"]["entries"] if "upload-target" in e["path"]]
    assert journaled[0]["body"]["file"] == {"filename": "clip.mp4", "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}


def test_an_upload_url_is_used_once_and_only_by_its_key(client):
    url = _slot(client)
    assert client.post("/collection/default/upload", json={"url": url}).json()["message"].endswith("POST the file to it first")
    _post_file(client, url, b"bytes")
    assert _post_file(client, url, b"again").status_code == 400, "one file per upload URL"
    stranger = client.post("/collection/default/upload", json={"url": url}, headers={"x-access-token": "sk-test-stranger"})
    assert stranger.status_code == 400 and "not given" in stranger.json()["message"]
    assert _finish(client, client.post("/collection/default/upload", json={"url": url}))["status"] == "done"
    assert _post_file(client, url, b"late").status_code == 404, "a used upload URL is gone"
    assert client.post("/collection/default/upload", json={"url": url}).status_code == 400


@pytest.mark.parametrize(
    ("send", "status", "names"),
    [
        (lambda c, url: c.post(_local(url), content=b"raw bytes", headers={"content-type": "application/octet-stream"}), 415, "multipart/form-data"),
        (lambda c, url: c.post(_local(url), files={"other": ("a.mp4", b"x")}), 400, "body.file: required"),
        (lambda c, url: c.post("/upload-target/not-a-token", files={"file": ("a.mp4", b"x")}), 404, "upload URL"),
        (lambda c, url: c.post(_local(url), content=b"--xyz\r\nbroken", headers={"content-type": "multipart/form-data; boundary=xyz"}), 400, "body"),
    ],
    ids=["not-multipart", "no-file-part", "unknown-token", "malformed"],
)
def test_the_upload_target_refuses_bad_posts_with_json_errors(client, send, status, names):
    answer = send(client, _slot(client))
    assert answer.status_code == status and names in answer.json()["message"]


def test_an_oversized_upload_is_413_and_stores_nothing():
    recorder = ContractRecorder(create_app(Settings(upload_limit=1000)))
    with ServerThread(recorder) as server, httpx.Client(base_url=server.url, headers=AUTH) as http:
        url = http.get("/collection/default/upload_url").json()["data"]["upload_url"]
        refused = httpx.post(url, files={"file": ("big.mp4", b"x" * 5000)})
        assert refused.status_code == 413 and "at most 1000 bytes" in refused.json()["message"]
        chunked = httpx.post(url, content=iter([b"--b\r\n", b"x" * 3000]), headers={"content-type": "multipart/form-data; boundary=b"})
        assert chunked.status_code == 413, "a body without Content-Length is counted as it streams"
        assert http.post("/collection/default/upload", json={"url": url}).json()["message"].endswith("POST the file to it first")
        assert httpx.post(url, files={"file": ("small.mp4", b"x" * 10)}).status_code == 200, "the slot is still free"
    assert_conforms(recorder)


# What the SDKs send ---------------------------------------------------------------------------------
def test_pythons_nulls_and_nodes_omissions_are_both_accepted(client):
    video = "m-5d10f7e2"
    python_index = {"index_type": "spoken_word", "language_code": None, "segmentation_type": "sentence", "force": False, "callback_url": None}
    assert _finish(client, client.post(f"/video/{video}/index", json=python_index))["data"] == {}
    assert _finish(client, client.post(f"/video/{video}/index", json={"index_type": "spoken_word"}))["status"] == "done"
    python_scenes = dict.fromkeys(["prompt", "model_name", "model_config", "name", "scenes", "callback_url", "sandbox_id"]) | {"extraction_type": "shot", "extraction_config": {}, "metadata": {}}
    assert "scene_index_id" in _finish(client, client.post(f"/video/{video}/index/scene", json=python_scenes))["data"]
    keyword = {"query": "corner", "search_type": "keyword", "index_type": "spoken_word", "score_threshold": None, "result_threshold": None, "dynamic_score_percentage": None, "filter": []}
    docs = client.post(f"/video/{video}/search", json=keyword).json()["data"]["results"][0]["docs"]
    assert docs and all("corner" in d["text"].lower() and d["score"] == 1 for d in docs)
    node_search = {"search_type": "semantic", "index_type": "spoken_word", "query": "penalty", "score_threshold": 0.2, "result_threshold": 50}
    assert client.post(f"/video/{video}/search", json=node_search).json()["data"]["results"][0]["docs"]


def test_a_transcript_answers_at_once_and_refuses_an_inverted_range(client):
    words = client.get("/video/m-5d10f7e2/transcription", params={"segmenter": "word", "length": 1, "force": "false"}).json()["data"]
    assert words["text"] == " ".join(w["text"] for w in words["word_timestamps"])
    windows = client.get("/video/m-5d10f7e2/transcription", params={"segmenter": "time", "length": 60}).json()["data"]["word_timestamps"]
    assert [w["start"] for w in windows] == [0, 60, 120, 180] and windows[-1]["end"] == 188
    inverted = client.get("/video/m-5d10f7e2/transcription", params={"start": 10, "end": 5})
    assert inverted.status_code == 400 and "query.start" in inverted.json()["message"]


# Steering the new kinds ----------------------------------------------------------------------------
def test_every_new_kind_is_steered_like_clips(client):
    slow = client.post("/collection/default/upload", json=PYTHON_UPLOAD, headers={"prefer": 'outcome=failed; message="quota reached"'})
    assert _finish(client, slow) == {"success": False, "status": "failed", "message": "quota reached"}
    assert client.post("/_emulator/namespaces/sk-test-key/overrides", json={"outcome": "done", "polls": 1}).status_code == 200
    index = client.post("/video/m-5d10f7e2/index", json={})
    assert _finish(client, index)["status"] == "processing", "the override's one processing poll"
    failed = _finish(client, client.post("/video/m-9b4e6a03/index", json={}))
    assert failed["status"] == "failed" and "could not be decoded" in failed["message"], "the fixture job rule"
    kinds = {job["kind"] for job in client.get("/_emulator/namespaces/sk-test-key/jobs").json()["data"]["jobs"]}
    assert kinds == {"upload", "index"}


def test_an_upload_job_calls_back_with_the_new_video():
    recorder = ContractRecorder(create_app(Settings()))
    with CallbackReceiver() as receiver, ServerThread(recorder) as server, httpx.Client(base_url=server.url, headers=AUTH) as http:
        started = http.post("/collection/default/upload", json={**PYTHON_UPLOAD, "callback_url": receiver.url}).json()
        [delivery] = receiver.wait_for(1)
        body = delivery.json
        assert body["job_id"] == started["data"]["id"] and body["status"] == "done" and body["data"]["id"].startswith("m-")
        assert http.get(f"/video/{body['data']['id']}").status_code == 200, "the video exists by the time it calls back"
    assert_conforms(recorder)


# Keys, resets, bounds -------------------------------------------------------------------------------
def test_a_reset_forgets_the_keys_uploads_indexes_and_deletions(client):
    video = _finish(client, client.post("/collection/default/upload", json=PYTHON_UPLOAD))["data"]["id"]
    _finish(client, client.post(f"/video/{video}/index", json={}))
    client.delete("/video/m-7a3f21c4")
    assert client.delete("/_emulator/namespaces/sk-test-key").status_code == 200
    assert client.get(f"/video/{video}").status_code == 404
    assert client.get("/video/m-7a3f21c4").status_code == 200
    assert client.post("/video/m-5d10f7e2/search", json={"query": "goal"}).status_code == 400


def test_a_keys_library_is_bounded_oldest_first():
    recorder = ContractRecorder(create_app(Settings(library=LibraryLimits(uploads_per_key=2, upload_slots_per_key=1))))
    with TestClient(recorder, headers=AUTH) as client:
        ids = [_finish(client, client.post("/collection/default/upload", json={"url": f"https://x.example/{n}.mp4"}))["data"]["id"] for n in range(3)]
        listed = [v["id"] for v in client.get("/video").json()["data"]["videos"]]
        assert ids[0] not in listed and ids[1] in listed and ids[2] in listed
        first, second = _slot(client), _slot(client)
        assert _post_file(client, first, b"x").status_code == 404 and _post_file(client, second, b"x").status_code == 200
    assert_conforms(recorder)


def test_the_uploads_of_all_keys_are_bounded_the_least_recent_keys_oldest_first():
    limits = LibraryLimits(uploads=3, upload_text_bytes=10_000)
    recorder = ContractRecorder(create_app(Settings(library=limits)))
    with TestClient(recorder) as client:
        made = {}
        for key in ("sk-test-a", "sk-test-b", "sk-test-a", "sk-test-c"):
            answer = client.post("/collection/default/upload", json={"url": FOOTBALL_URL}, headers={"x-access-token": key})
            made.setdefault(key, []).append(_poll_as(client, answer, key))
        seen = {key: client.get(f"/video/{ids[0]}", headers={"x-access-token": key}).status_code for key, ids in made.items()}
        assert seen == {"sk-test-a": 200, "sk-test-b": 404, "sk-test-c": 200}, "b used least recently: its upload went"
        long_text = client.post("/collection/default/upload", json={"url": FOOTBALL_URL, "description": "x" * 4096}, headers={"x-access-token": "sk-test-c"})
        _poll_as(client, long_text, "sk-test-c")
        emulator = recorder.app.state.emulator
        assert emulator.library.totals["upload_text_bytes"] <= limits.upload_text_bytes
    assert_conforms(recorder)


def _poll_as(client: TestClient, answer: httpx.Response, key: str) -> str:
    done = client.get(_local(answer.json()["data"]["output_url"]), headers={"x-access-token": key}).json()
    return done["data"]["id"]


def test_a_time_based_scene_index_keeps_at_most_its_bound_of_windows(client):
    index = _finish(client, client.post("/video/m-5d10f7e2/index/scene", json={"extraction_type": "time", "extraction_config": {"time": 0.1}}))
    records = client.get(f"/video/m-5d10f7e2/index/scene/{index['data']['scene_index_id']}").json()["data"]["scene_index_records"]
    assert len(records) <= 1000 and records[-1]["end"] == 188


def test_a_collection_search_answers_at_most_its_bound_of_docs(client):
    from mockserver.searches import MAX_COLLECTION_DOCS

    for _ in range(60):  # 60 indexed copies of the football match: far more matching lines than the bound
        video = _finish(client, client.post("/collection/default/upload", json=PYTHON_UPLOAD))["data"]["id"]
        _finish(client, client.post(f"/video/{video}/index", json={}))
    answer = client.post("/collection/default/search", json={"query": "e", "search_type": "keyword", "result_threshold": 1000})
    results = answer.json()["data"]["results"]
    assert sum(len(r["docs"]) for r in results) == MAX_COLLECTION_DOCS and len(results) > 40


def test_a_key_whose_library_was_evicted_never_hands_out_an_upload_id_again():
    recorder = ContractRecorder(create_app(Settings(library=LibraryLimits(keys=1))))
    with TestClient(recorder) as client:
        first = _poll_as(client, client.post("/collection/default/upload", json=PYTHON_UPLOAD, headers={"x-access-token": "sk-test-a"}), "sk-test-a")
        _poll_as(client, client.post("/collection/default/upload", json=PYTHON_UPLOAD, headers={"x-access-token": "sk-test-b"}), "sk-test-b")
        assert client.get(f"/video/{first}", headers={"x-access-token": "sk-test-a"}).status_code == 404, "a's library was evicted"
        again = _poll_as(client, client.post("/collection/default/upload", json=PYTHON_UPLOAD, headers={"x-access-token": "sk-test-a"}), "sk-test-a")
        assert again != first
    assert_conforms(recorder)


def test_the_same_seed_gives_the_same_ids_and_bodies():
    def journey() -> list[bytes]:
        with TestClient(create_app(Settings(seed=7)), headers=AUTH) as client:
            answers = [client.post("/collection/default/upload", json=PYTHON_UPLOAD)]
            answers.append(client.get(_local(answers[0].json()["data"]["output_url"])))
            video = answers[-1].json()["data"]["id"]
            url = _slot(client)
            answers += [answers[-1], client.post(f"/video/{video}/index", json={}), client.post(f"/video/{video}/index/scene", json={})]
            answers += [_post_file(client, url, b"abc"), client.post("/collection/default/upload", json={"url": url})]
            answers.append(client.post(f"/video/{video}/search", json={"query": "penalty"}))
            return [answer.content for answer in answers]

    assert journey() == journey()


# What is not emulated ---------------------------------------------------------------------------------
def test_published_operations_outside_the_contract_answer_501_and_unknown_paths_404(client):
    reframe = client.post("/video/m-7a3f21c4/reframe", json={})
    assert reframe.status_code == 501 and reframe.json()["error_code"] == "not_emulated"
    assert "POST /video/{video_id}/reframe" in reframe.json()["message"] and "What is emulated" in reframe.json()["message"]
    patch = client.patch("/video/m-7a3f21c4", json={})
    assert patch.status_code == 501 and "PATCH /video/{video_id}" in patch.json()["message"], "a published method on a served path"
    assert client.put("/video/m-7a3f21c4", json={}).status_code == 405, "a method no API has on it"
    assert client.get("/video/m-7a3f21c4/nothing-here").status_code == 404


def test_the_contract_names_every_published_method_it_leaves_out_on_its_paths():
    """openapi.yaml's x-unemulated-methods and the 501 table agree, so st and conform know which
    methods of a served path exist in the real API."""
    import yaml

    from mockserver.not_emulated import NotEmulated

    paths = yaml.safe_load((ROOT / "openapi.yaml").read_text())["paths"]
    table = NotEmulated(set())
    for path, item in paths.items():
        sample = re.sub(r"\{[^}]+\}", "m-x", path)
        published = {m for m in ("get", "post", "put", "patch", "delete") if m not in item and table.operation(m.upper(), sample)}
        assert published == set(item.get("x-unemulated-methods", [])), path
