"""Same seed, fixtures and requests ⇒ byte-identical answers; each key is a world of its own."""

from __future__ import annotations

import httpx
from starlette.testclient import TestClient

from mockserver.app import Settings, create_app
from mockserver.server import ServerThread

from .contract import ContractRecorder, assert_conforms

SCRIPT = [
    ("GET", "/collection/default", None),
    ("GET", "/video?collection_id=c-product-videos", None),
    ("POST", "/video/m-5d10f7e2/clip", {"prompt": "every goal"}),
    ("POST", "/video/m-7a3f21c4/clip", {"prompt": "pricing", "model_name": "ultra"}),
    ("POST", "/video/m-9b4e6a03/clip", {"prompt": "revenue"}),
    ("POST", "/compile", [{"video_id": "m-5d10f7e2", "shots": [[1, 9.5]]}]),
]


def _play(client: httpx.Client | TestClient) -> list[bytes]:
    """Run the script, then poll every job it created three times; return every answer's bytes."""
    answers = []
    urls = []
    for method, path, body in SCRIPT:
        response = client.request(method, path, json=body)
        answers.append(response.content)
        if path.endswith("/clip"):
            urls.append(httpx.URL(response.json()["data"]["output_url"]).path)  # public URLs may not resolve
    for _ in range(3):
        answers.extend(client.get(url).content for url in urls)
    return answers


def _in_process(seed: int, key: str = "sk-determinism") -> list[bytes]:
    recorder = ContractRecorder(create_app(Settings(seed=seed)))
    with TestClient(recorder, headers={"x-access-token": key}) as client:
        answers = _play(client)
    assert_conforms(recorder)
    return answers


def test_two_fresh_emulators_answer_byte_for_byte_alike():
    assert _in_process(seed=7) == _in_process(seed=7)


def test_a_different_seed_changes_the_ids():
    assert _in_process(seed=7) != _in_process(seed=8)


def test_two_real_servers_with_one_public_url_answer_alike():
    runs = []
    for _ in range(2):
        recorder = ContractRecorder(create_app(Settings(seed=3, public_url="http://emulator.test")))
        with ServerThread(recorder) as server, httpx.Client(base_url=server.url, headers={"x-access-token": "sk-a"}) as client:
            runs.append(_play(client))
        assert_conforms(recorder)
    assert runs[0] == runs[1]


def test_keys_do_not_see_each_others_jobs_and_count_on_their_own(client):
    alice = {"x-access-token": "sk-alice"}
    bob = {"x-access-token": "sk-bob"}
    first_alice = client.post("/video/m-7a3f21c4/clip", json={"prompt": "demo"}, headers=alice).json()["data"]
    client.post("/video/m-7a3f21c4/clip", json={"prompt": "demo"}, headers=alice)
    first_bob = client.post("/video/m-7a3f21c4/clip", json={"prompt": "demo"}, headers=bob).json()["data"]
    assert first_alice["id"].endswith("-1") and first_bob["id"].endswith("-1")
    assert first_alice["id"] != first_bob["id"]
    stolen = client.get(first_alice["output_url"], headers=bob)
    assert stolen.status_code == 404 and stolen.json()["error_code"] == "not_found"
    assert client.get(first_alice["output_url"], headers=alice).json()["status"] == "done"


def test_interleaving_other_keys_does_not_change_a_keys_answers():
    alone = _in_process(seed=1)
    recorder = ContractRecorder(create_app(Settings(seed=1)))
    with TestClient(recorder, headers={"x-access-token": "sk-determinism"}) as client:
        for i in range(5):
            client.post("/video/m-2c9e84b1/clip", json={"prompt": f"noise {i}"}, headers={"x-access-token": "sk-noisy"})
        crowded = _play(client)
    assert_conforms(recorder)
    assert crowded == alone


def test_fixtures_can_list_exact_keys(tmp_path):
    from mockserver.resources import default_fixtures_dir

    for source in default_fixtures_dir().glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text())
    (tmp_path / "keys.yaml").write_text("api_keys: [team-key-1, sk-listed]\n")
    recorder = ContractRecorder(create_app(Settings(fixtures_dir=tmp_path)))
    with TestClient(recorder) as client:
        assert client.get("/collection/default", headers={"x-access-token": "team-key-1"}).status_code == 200
        assert client.get("/collection/default", headers={"x-access-token": "sk-listed"}).status_code == 200
        assert client.get("/collection/default", headers={"x-access-token": "sk-other"}).status_code == 401
    assert_conforms(recorder)


def test_the_hand_encoded_clip_answer_equals_the_encoders():
    import json

    from mockserver import render

    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    for job_id, base in [
        ("job-5c8463e849-7", "http://127.0.0.1:8000"),
        ("job-0-1", 'http://we"ird\\host'),
        ("job-é-2", "https://vidéo.example/base\n"),
    ]:
        assert render.processing_json(job_id, base) == encode(render.processing(job_id, base)).encode("utf-8")
