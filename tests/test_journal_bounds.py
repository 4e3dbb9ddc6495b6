"""What the journal keeps is bounded however a client behaves: a slice of the headers, bodies up to
8 KB, and about 256 KiB of requests per key (the oldest entries go first)."""

from __future__ import annotations

import httpx

from mockserver.app import Settings, create_app
from mockserver.journal import BYTE_BUDGET
from mockserver.server import ServerThread

from .conftest import AUTH


def test_a_huge_head_is_journaled_as_a_slice():
    app = create_app(Settings())
    with ServerThread(app) as server:
        padding = {f"x-pad-{n}": "p" * 1000 for n in range(50)}  # 50 KB of headers, under the 64 KiB bound
        answer = httpx.get(f"{server.url}/collection/default", headers={**AUTH, **padding})
        assert answer.status_code == 200
    [entry] = app.state.emulator.store.journal(AUTH["x-access-token"]).entries()
    kept = entry.headers
    assert sum(len(k) + len(v) for k, v in kept.items()) <= 4096 + 100
    assert kept["x-emulator-journal"] == "later headers left out: the journal keeps 4096 bytes of them"
    assert "x-pad-49" not in kept and kept.get("host")


def test_a_key_keeps_about_its_byte_budget_of_requests(client, emulator):
    body = "x" * 8000  # not JSON: refused, and journaled as the text it was
    for n in range(100):
        assert client.post("/video/m-7a3f21c4/clip", content=f"{n:03d}{body}", headers={"content-type": "application/json"}).status_code == 400
    entries = emulator.store.journal(AUTH["x-access-token"]).entries()
    assert 20 <= len(entries) <= BYTE_BUDGET // 8000
    assert entries[-1].body.startswith("099") and entries[0].sequence == 100 - len(entries) + 1, "the newest kept, in order"


def test_small_requests_are_bounded_by_count(client, emulator):
    for _ in range(520):
        client.get("/collection/default")
    entries = emulator.store.journal(AUTH["x-access-token"]).entries()
    assert len(entries) == 500 and entries[-1].sequence == 520
