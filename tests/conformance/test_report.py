"""Reports: grouped by check, the key replaced, JUnit XML that parses whatever the fuzzer put in a body."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mockserver.conformance.findings import Finding, Findings, api_key_redactor
from mockserver.conformance.report import RunInfo, summary, write_junit, write_markdown

INFO = RunInfo("http://127.0.0.1:1", "openapi.yaml", 3, 1.5, 42, 2, 5)


def _findings() -> Findings:
    findings = Findings(lambda text: None, api_key_redactor("x-access-token", "sk-secret"))
    findings.passed("schema", "not_a_server_error")
    for _ in range(3):
        findings.fail(
            Finding(
                "schema",
                "not_a_server_error",
                "GET /video",
                "Server error",
                "answer: 500 \x00\x1b[31m ```nested fence```",
                ("curl -X GET -H 'x-access-token: sk-secret' http://127.0.0.1:1/video",),
            )
        )
    findings.passed("lifecycle", "never_backwards")
    findings.note("callbacks", "skipped: no callback arrived within 1 s — the deployment may not deliver callbacks")
    return findings


def test_the_summary_groups_by_check_and_counts_repeats():
    text = summary(_findings(), INFO)
    assert "FAIL  schema     not_a_server_error" in text and "1 passed, 3 failed" in text
    assert "[GET /video] Server error (x3)" in text
    assert 'curl -X GET -H "x-access-token: $VIDEODB_API_KEY"' in text and "sk-secret" not in text
    assert text.rstrip().endswith("DOES NOT CONFORM: not_a_server_error")


def test_junit_parses_despite_control_characters(tmp_path):
    path = tmp_path / "conform.xml"
    write_junit(path, _findings(), INFO)
    root = ET.parse(path).getroot()
    assert root.get("tests") == "3" and root.get("failures") == "1"
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"schema", "lifecycle", "callbacks"}
    failure = suites["schema"].find("testcase/failure")
    assert failure.get("type") == "not_a_server_error" and "\ufffd" in failure.text
    assert suites["callbacks"].find("testcase/skipped") is not None


def test_markdown_names_failing_checks_and_fences_evidence_safely(tmp_path):
    path = tmp_path / "conform.md"
    write_markdown(path, _findings(), INFO)
    text = path.read_text()
    assert "### `not_a_server_error` (schema)" in text
    assert "````text" in text, "a longer fence than any run of backticks inside"
    assert "sk-secret" not in text and "## Notes" in text


def test_both_keys_are_replaced_the_longer_first():
    redact = api_key_redactor("x-access-token", "sk-team", "sk-team-two")
    text = redact("curl -H 'x-access-token: sk-team-two' …; then -H 'x-access-token: sk-team'; leaked sk-team-two")
    assert text == 'curl -H "x-access-token: $VIDEODB_SECOND_API_KEY" …; then -H "x-access-token: $VIDEODB_API_KEY"; leaked $VIDEODB_SECOND_API_KEY'
