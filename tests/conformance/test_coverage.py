"""The coverage table and its gate: an operation never seen answering 2xx makes a run INCONCLUSIVE."""

from __future__ import annotations

from pathlib import Path

from mockserver.conformance.contract import load_contract
from mockserver.conformance.coverage import Coverage
from mockserver.conformance.findings import Findings
from mockserver.conformance.report import RunInfo, write_markdown
from mockserver.resources import spec_path

CONTRACT = load_contract(Path(spec_path()))


def _findings(coverage: Coverage) -> Findings:
    findings = Findings(lambda text: None)
    findings.passed("schema", "not_a_server_error")
    findings.coverage_rows = coverage.rows()
    findings.unproven_operations = coverage.unproven()
    return findings


def test_answers_are_counted_by_operation_however_the_path_is_spelled():
    coverage = Coverage(CONTRACT)
    coverage.record("GET", "/collection/default", 200)  # the literal template, not /collection/{collection_id}
    coverage.record("GET", "//video/m-1/thumbnail/", 200)
    coverage.record("GET", "/video/m-1/thumbnail?x=1", 404)
    coverage.record("GET", "/not/in/the/contract", 200)
    rows = {label: (sent, ok) for label, sent, ok, _ in coverage.rows()}
    assert rows["GET /collection/default"] == (1, 1) and rows["GET /collection/{collection_id}"] == (0, 0)
    assert rows["GET /video/{video_id}/thumbnail"] == (2, 1)
    assert sum(sent for sent, _ in rows.values()) == 3


def test_an_operation_never_answering_2xx_makes_the_verdict_inconclusive_unless_excused(tmp_path):
    coverage = Coverage(CONTRACT)
    for label in coverage.labels:
        method, path = label.split(" ", 1)
        if label != "GET /video/{video_id}/thumbnail":
            coverage.record(method, path.replace("{", "").replace("}", ""), 200)
    findings = _findings(coverage)
    assert findings.verdict == "INCONCLUSIVE: never answered 2xx: GET /video/{video_id}/thumbnail"
    report = tmp_path / "report.md"
    write_markdown(report, findings, RunInfo("http://x", "openapi.yaml", 0, 1.0, 10, 0, 20))
    text = report.read_text()
    assert text.index("**INCONCLUSIVE") < text.index("## Coverage") < text.index("## Checks"), "verdict, then coverage"
    assert "| `GET /video/{video_id}/thumbnail` | 0 | 0 | never answered 2xx: never sent |" in text
    coverage.excuse("GET /video/{video_id}/thumbnail", "not judged without --upload-url")
    assert _findings(coverage).verdict == "CONFORMS"


def test_a_never_2xx_remark_says_what_came_instead_and_the_likely_reason():
    coverage = Coverage(CONTRACT)
    for status in (401, 403, 401):
        coverage.record("GET", "/video", status)
    for _ in range(2):
        coverage.record("GET", "/video/m-1/thumbnail", 404)
    coverage.record("POST", "/compile", 400)
    coverage.record("POST", "/compile", 422)
    coverage.record("GET", "/collection/default", 503)
    remarks = {label: remark for label, _, _, remark in coverage.rows()}
    assert remarks["GET /video"] == "never answered 2xx (2 × 401, 1 × 403; missing authentication: is the key accepted?)"
    assert remarks["GET /video/{video_id}/thumbnail"] == "never answered 2xx (2 × 404; missing test data: no object it could use)"
    assert remarks["POST /compile"].endswith("validation mismatch: the deployment refuses what the contract allows)")
    assert remarks["GET /collection/default"] == "never answered 2xx (1 × 503; server errors)"
