"""Fault rules (fixtures' fault_rules:, or mockserver serve --faults FILE): a stand-in that fails
now and then, drawn from the seed, the key and its request count, so a run can be replayed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver.app import Settings, create_app
from mockserver.errors import FixtureError
from mockserver.faults import AnswerFault, FaultRule
from mockserver.fixtures import load_fault_file, load_fixtures
from mockserver.resources import default_fixtures_dir

from .contract import ContractRecorder, assert_conforms
from .test_cli import _cli, _served

RULES = """fault_rules:
  - name: flaky-collections
    match: {method: GET, path: /collection}
    fault: {code: 503, retry_after: 1}
    rate: 0.3
  - name: slow-polls
    match: {path: /async-response}
    fault: {delay_jitter: 0.02}
"""


def _folder(tmp_path: Path, extra: str) -> Path:
    for source in default_fixtures_dir().glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text())
    (tmp_path / "zz-faults.yaml").write_text(extra)
    return tmp_path


def _statuses(settings: Settings, key: str = "sk-rules", count: int = 60) -> list[int]:
    recorder = ContractRecorder(create_app(settings))
    with TestClient(recorder, headers={"x-access-token": key}) as client:
        statuses = [client.get("/collection/default").status_code for _ in range(count)]
    assert_conforms(recorder)
    return statuses


def test_a_rate_fails_about_that_share_the_same_way_every_run(tmp_path):
    folder = _folder(tmp_path, RULES)
    first = _statuses(Settings(fixtures_dir=folder))
    assert set(first) == {200, 503} and 0.1 <= first.count(503) / len(first) <= 0.5
    assert _statuses(Settings(fixtures_dir=folder)) == first, "same seed, same requests: same faults"
    assert _statuses(Settings(fixtures_dir=folder, seed=9)) != first
    assert _statuses(Settings(fixtures_dir=folder), key="sk-another") != first, "each key draws its own"


def test_a_faulted_answer_names_its_fault_and_jitter_is_drawn(tmp_path):
    recorder = ContractRecorder(create_app(Settings(fixtures_dir=_folder(tmp_path, RULES.replace("rate: 0.3", "rate: 1")))))
    with TestClient(recorder, headers={"x-access-token": "sk-rules"}) as client:
        refused = client.get("/collection/default")
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1" and refused.headers["x-emulator-fault"] == "code=503; retry-after=1"
        url = client.post("/video/m-7a3f21c4/clip", json={"prompt": "demo"}).json()["data"]["output_url"]
        delays = {client.get(url).headers["x-emulator-fault"] for _ in range(5)}
    assert all(d.startswith("delay=0.0") for d in delays) and len(delays) > 1
    assert_conforms(recorder)


def test_a_rule_can_name_one_key(tmp_path):
    rules = "fault_rules:\n  - {name: one-key, match: {key: sk-victim}, fault: {code: 500}}\n"
    settings = Settings(fixtures_dir=_folder(tmp_path, rules))
    assert set(_statuses(settings, "sk-victim", 3)) == {500}
    assert set(_statuses(settings, "sk-bystander", 3)) == {200}


def test_control_api_faults_come_before_fault_rules(tmp_path):
    app = create_app(Settings(fixtures_dir=_folder(tmp_path, RULES.replace("rate: 0.3", "rate: 1"))))
    app.state.emulator.faults.add("sk-rules", FaultRule(AnswerFault(code=429), 1))
    with TestClient(app, headers={"x-access-token": "sk-rules"}) as client:
        assert [client.get("/collection/default").status_code for _ in range(2)] == [429, 503]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("fault_rules:\n  - {name: x, fault: {}}\n", "fault_rules[0].fault: names no fault"),
        ("fault_rules:\n  - {name: x, fault: {code: 200}}\n", "fault_rules[0].fault.code"),
        ("fault_rules:\n  - {name: x, fault: {code: 503, drop: close}}\n", "fault_rules[0].fault.drop: cannot go with code="),
        ("fault_rules:\n  - {name: x, fault: {code: 503}, rate: 2}\n", "fault_rules[0].rate"),
    ],
)
def test_a_bad_rule_is_refused_naming_file_and_key_path(tmp_path, text, reason):
    with pytest.raises(FixtureError) as caught:
        load_fixtures(_folder(tmp_path, text))
    assert any(r.startswith("zz-faults.yaml: ") and reason in r for r in caught.value.reasons), caught.value.reasons


def test_serve_takes_a_faults_file(tmp_path):
    faults = tmp_path / "faults.yaml"
    faults.write_text("fault_rules:\n  - {name: all-down, match: {path: /collection}, fault: {code: 503}}\n")
    with _served("--faults", str(faults)) as (url, _):
        answer = httpx.get(f"{url}/collection/default", headers={"x-access-token": "sk-cli"})
    assert answer.status_code == 503 and answer.headers["x-emulator-fault"] == "code=503"
    faults.write_text("videos: []\n")
    result = _cli("serve", "--port", "0", "--faults", str(faults))
    assert result.returncode == 2 and "faults.yaml: a faults file holds fault_rules only" in result.stderr
    with pytest.raises(FixtureError, match="not a file"):
        load_fault_file(tmp_path / "absent.yaml")
