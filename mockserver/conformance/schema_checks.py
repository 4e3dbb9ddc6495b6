"""The checks the schema phase runs on every answer: schemathesis' own, by name, and ours."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from schemathesis.checks import CHECKS, load_all_checks, max_response_time
from schemathesis.core.failures import Failure

from .job_contract import key_not_snake

CheckFunction = Callable[[Any, Any, Any], Any]


class NotApplicable(Exception):
    """Raised by a check of ours that found nothing to judge in an answer: it counts as neither passed nor failed."""


# A fixed list, so that checks other code registers in the same process (a test suite's, say) stay out.
BUILT_IN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
)


def error_body_is_json_object(ctx: Any, response: Any, case: Any) -> None:
    """Every error answer, documented or not, is a JSON object with `success: false` and a message:
    the SDKs crash on anything else (a JSON string, an HTML page from a proxy)."""
    if response.status_code < 400 or case.method.upper() == "HEAD":
        raise NotApplicable
    try:
        body = json.loads(response.content)
    except ValueError:
        problem = f"the {response.status_code} answer is not JSON: {response.content[:120]!r}"
    else:
        if not isinstance(body, dict):
            problem = f"the {response.status_code} answer is not a JSON object: {body!r}"[:300]
        elif body.get("success") is not False or not isinstance(body.get("message"), str) or not body["message"]:
            problem = f"the {response.status_code} answer lacks `success: false` and a message: {body!r}"[:300]
        else:
            return
    raise Failure(operation=case.operation.label, title="Error answer is not a JSON error object", message=problem)


def answer_keys_are_snake_case(ctx: Any, response: Any, case: Any) -> None:
    """Every key of a successful answer, at any depth, is lower snake_case: the job contract's rule
    for Node's SDK, which camel-cases keys and lets a later twin replace a key it reads."""
    if not 200 <= response.status_code < 300 or not response.content:
        raise NotApplicable
    try:
        body = json.loads(response.content)
    except ValueError:
        raise NotApplicable from None  # not JSON: content_type_conformance and the schema judge that
    problem = key_not_snake(body)
    if problem:
        raise Failure(operation=case.operation.label, title="Answer key is not lower snake_case", message=problem)


# With two tenants (--second-api-key): a tenant's read of its own object, replayed as the other.
TENANT_CHECK = "object_level_authorization"


def selected_checks(tenants: bool = False) -> list[tuple[str, CheckFunction]]:
    load_all_checks()
    registered = {check.__name__: check for check in CHECKS.get_all() if not isinstance(check, type)}
    names = BUILT_IN_CHECKS + ((TENANT_CHECK,) if tenants else ())
    checks: list[tuple[str, CheckFunction]] = [(name, registered[name]) for name in names if name in registered]
    checks.append(("max_response_time", max_response_time))
    checks.append(("error_body_is_json_object", error_body_is_json_object))
    checks.append(("answer_keys_are_snake_case", answer_keys_are_snake_case))
    return checks
