"""What a run tells: a summary grouped by check, a JUnit XML file for CI, a Markdown report for people."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .findings import API_KEY_PLACEHOLDER, CheckTally, Finding, Findings
from .settings import PHASES

# XML 1.0 cannot carry most control characters, and fuzzed bodies are full of them.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class RunInfo:
    base_url: str
    spec_path: str
    seed: int
    seconds: float
    requests_sent: int
    jobs_claimed: int
    max_jobs: int

    def describe(self) -> str:
        return (
            f"target {self.base_url}, contract {self.spec_path}, seed {self.seed}; "
            f"{self.requests_sent} requests in {self.seconds:.1f}s, {self.jobs_claimed} of at most {self.max_jobs} jobs created"
        )


def _ordered(findings: Findings) -> list[CheckTally]:
    order = {phase: index for index, phase in enumerate(PHASES)}
    return sorted(findings.tallies(), key=lambda tally: (order.get(tally.phase, len(order)), 0 if tally.failed else 1))


def _count(tally: CheckTally, finding: Finding) -> int:
    return tally.occurrences.get(finding.key, 1)


def _verdict(findings: Findings) -> str:
    return findings.verdict


def summary(findings: Findings, info: RunInfo) -> str:
    lines = ["", "Conformance summary, by check:"]
    for tally in _ordered(findings):
        verdict = "FAIL" if tally.failed else "ok"
        lines.append(f"  {verdict:4}  {tally.phase:9}  {tally.check:38}  {tally.passed} passed, {tally.failed} failed")
        for finding in tally.failures:
            times = _count(tally, finding)
            lines.append(f"          - [{finding.subject}] {finding.summary}{f' (x{times})' if times > 1 else ''}")
            for step in finding.reproduction:
                lines.append(f"              {step}")
        if tally.unlisted:
            lines.append(f"          - … and {tally.unlisted} more")
    if findings.coverage_rows:
        lines.append("Coverage, by operation (requests sent, 2xx answers seen):")
        for label, requests, successes, remark in findings.coverage_rows:
            lines.append(f"  {label:55}  {requests:5} sent  {successes:5} 2xx{f'  ({remark})' if remark else ''}")
    if findings.notes:
        lines.append("Notes:")
        lines.extend(f"  {note.phase}: {note.text}" for note in findings.notes)
    lines.append(info.describe())
    if any(finding.reproduction for tally in findings.tallies() for finding in tally.failures):
        lines.append(f"Reproductions read the key from {API_KEY_PLACEHOLDER}.")
    lines.append(_verdict(findings))
    return "\n".join(lines)


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _finding_text(tally: CheckTally, finding: Finding) -> str:
    parts = [f"[{finding.subject}] {finding.summary} (seen {_count(tally, finding)} time(s))"]
    if finding.evidence:
        parts.append(finding.evidence)
    parts.extend(finding.reproduction)
    return "\n".join(parts)


def _by_operation(tally: CheckTally) -> list[tuple[str | None, int, list[Finding], int]]:
    """(operation, passes, failures, failure count) per operation the check judged, one case per check per
    operation; a check whose results name no operation (a job's, a callback's) stays one case."""
    operations = set(tally.passed_by_operation) | {f.operation for f in tally.failures if f.operation is not None}
    if not operations:
        return [(None, tally.passed, tally.failures, tally.failed)]
    rows: list[tuple[str | None, int, list[Finding], int]] = []
    for operation in sorted(operations):
        failures = [f for f in tally.failures if f.operation == operation]
        rows.append((operation, tally.passed_by_operation[operation], failures, sum(_count(tally, f) for f in failures)))
    rest = [f for f in tally.failures if f.operation is None]
    unattributed = tally.passed - sum(tally.passed_by_operation.values())
    if rest or unattributed:
        rows.append((None, unattributed, rest, sum(_count(tally, f) for f in rest) + tally.unlisted))
    elif tally.unlisted:  # failures beyond those kept, whose operation is not known
        rows.append((None, 0, [], tally.unlisted))
    return rows


def write_junit(path: Path, findings: Findings, info: RunInfo) -> None:
    tallies = _ordered(findings)
    root = ET.Element("testsuites", name="mockserver conform", time=f"{info.seconds:.3f}")
    total = failures = 0
    for phase in PHASES:
        in_phase = [tally for tally in tallies if tally.phase == phase]
        notes = [note.text for note in findings.notes if note.phase == phase]
        unapplied = [name.split("/", 1)[1] for name in findings.never_applied() if name.startswith(f"{phase}/")]
        if not in_phase and not notes and not unapplied:
            continue
        suite = ET.SubElement(root, "testsuite", name=phase)
        failed_here = 0
        for tally in in_phase:
            for operation, passed, found, failed in _by_operation(tally):
                name = tally.check if operation is None else f"{tally.check} [{operation}]"
                case = ET.SubElement(suite, "testcase", classname=f"conform.{phase}", name=name)
                if failed:
                    failed_here += 1
                    failure = ET.SubElement(case, "failure", type=tally.check, message=_xml_text(f"{failed} failure(s), {passed} passed"))
                    failure.text = _xml_text("\n\n".join(_finding_text(tally, finding) for finding in found))
        for check in unapplied:  # the reason the verdict is INCONCLUSIVE
            case = ET.SubElement(suite, "testcase", classname=f"conform.{phase}", name=check)
            ET.SubElement(case, "skipped", message="never applied: this run could not check it")
        skipped = [text for text in notes if text.startswith("skipped")]
        if skipped and not in_phase:
            case = ET.SubElement(suite, "testcase", classname=f"conform.{phase}", name=f"{phase} phase")
            ET.SubElement(case, "skipped", message=_xml_text(skipped[0]))
        if notes:
            ET.SubElement(suite, "system-out").text = _xml_text("\n".join(notes))
        count = len(suite.findall("testcase"))
        suite.set("tests", str(count))
        suite.set("failures", str(failed_here))
        suite.set("skipped", str(len(suite.findall("testcase/skipped"))))
        total += count
        failures += failed_here
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _fenced(text: str, language: str = "") -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{language}\n{text}\n{fence}"


def write_markdown(path: Path, findings: Findings, info: RunInfo) -> None:
    tallies = _ordered(findings)
    lines = ["# Conformance report", "", f"**{_verdict(findings)}**", "", info.describe() + ".", ""]
    if findings.coverage_rows:
        lines += ["## Coverage", "", "| operation | requests | 2xx | |", "|---|---:|---:|---|"]
        lines += [f"| `{label}` | {requests} | {successes} | {remark} |" for label, requests, successes, remark in findings.coverage_rows]
        lines.append("")
    lines += ["## Checks", "", "| phase | check | passed | failed |", "|---|---|---:|---:|"]
    for tally in tallies:
        mark = "**FAIL** " if tally.failed else ""
        lines.append(f"| {tally.phase} | {mark}`{tally.check}` | {tally.passed} | {tally.failed} |")
    failing = [tally for tally in tallies if tally.failed]
    if failing:
        lines += ["", "## Failures", "", f"Reproductions read the API key from `{API_KEY_PLACEHOLDER}`."]
    for tally in failing:
        lines += ["", f"### `{tally.check}` ({tally.phase})"]
        for finding in tally.failures:
            times = _count(tally, finding)
            lines += ["", f"- **{finding.subject}**: {finding.summary}" + (f" (seen {times} times)" if times > 1 else "")]
            if finding.evidence:
                lines += ["", _fenced(finding.evidence, "text")]
            if finding.reproduction:
                lines += ["", _fenced("\n".join(finding.reproduction), "sh")]
        if tally.unlisted:
            lines += ["", f"- … and {tally.unlisted} more failures of this check."]
    if findings.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {note.phase}: {note.text}" for note in findings.notes]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
