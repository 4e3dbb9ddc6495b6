"""Every operation that needs the API key refuses a request without one, with a malformed one, or
with a well-formed one that is no one's: 401 with the contract's JSON error body (the SDKs raise
AuthenticationError on a 401 and crash on a body that is not JSON). Placeholder ids suffice, since the
key is checked before anything is looked up.

With ``--open-keys`` (a target that serves any well-formed key as a tenant of its own, as the emulator
does by default) the unknown key is not sent here: the lifecycle judges what it sees of a real job.
"""

from __future__ import annotations

import re

from . import job_contract as contract_rules
from .client import Client, TransportError
from .contract import Contract
from .findings import Finding, Findings
from .lifecycle_probes import MALFORMED_KEY, UNKNOWN_KEY
from .traffic import JobBudgetSpent, RequestRefused

PHASE = "schema"
CHECK = "auth_on_every_operation"
NO_ANSWER = "request_completes"
_VARIABLE = re.compile(r"\{([^}]+)\}")


def _placeholder(name: str) -> str:
    return "m-conform-probe" if name == "video_id" else "conform-probe"


def _needs_key(contract: Contract, path: str, method: str) -> bool:
    operation = contract.document["paths"][path][method.lower()]
    return operation.get("security", contract.document.get("security")) != []


def probe_auth(contract: Contract, client: Client, base: str, findings: Findings, open_keys: bool = False) -> None:
    findings.expect(PHASE, (CHECK,))
    keys = [("without a key", None), ("with a malformed key", MALFORMED_KEY)]
    if not open_keys:
        keys.append(("with an unknown key", UNKNOWN_KEY))
    for ref in contract.operations.values():
        if not _needs_key(contract, ref.path, ref.method):
            continue
        url = base + ref.fill(**{name: _placeholder(name) for name in _VARIABLE.findall(ref.path)})
        body = {} if ref.method in ("POST", "PUT", "PATCH") else None
        for how, key in keys:
            subject = f"{ref.label} {how}"
            try:
                answer = client.send_as(ref.method, url, key, body)
            except JobBudgetSpent:
                findings.note(PHASE, f"{subject}: not sent, since it may create a job and the job budget is spent")
                continue
            except (TransportError, RequestRefused) as error:
                findings.fail(Finding(PHASE, NO_ANSWER, subject, f"no answer: {error}"))
                continue
            problem = None
            if answer.status != 401:
                problem = f"answered {answer.status}, not 401"
            elif contract_rules.not_an_error_body(answer.json(), answer.response_headers.get("content-type", "")):
                problem = "answered 401 without the contract's JSON error body"
            if problem is None:
                findings.passed(PHASE, CHECK, ref.label)
            else:
                findings.fail(Finding(PHASE, CHECK, subject, problem, answer.describe(), (answer.curl(),), ref.label))
