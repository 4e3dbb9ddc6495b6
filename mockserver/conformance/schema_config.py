"""The schemathesis schema a run fuzzes with: the contract, the live base URL, the key, the seed and the limits.

Everything is given explicitly, so no ``schemathesis.toml`` found in the working directory changes a run.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.core.errors import LoaderError

from .contract import Contract, SpecError
from .settings import ConformSettings

# Generated requests never carry these: a deployment would call generated addresses back.
# The callback phase exercises them with a receiver of our own.
UNSAFE_BODY_PROPERTIES = ("callback_url",)

# The defaults, plus 413: an oversized invalid body is rightly refused for its size first.
NEGATIVE_DATA_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

# Operations whose schema-valid requests may still break a rule no schema can say, where 400 is the
# right answer: shots outside their video (compile, stream), a legacy search before its index exists,
# a transcript asked from a start after its end.
RULE_BOUND_OPERATIONS = ("compileShots", "generateStream", "searchVideo", "searchCollection", "getTranscript")
RULE_BOUND_STATUSES = ["2xx", "400", "401", "404", "429"]


# What schemathesis sends as methods a path does not have (its own default set).
UNEXPECTED_METHODS = ("get", "put", "post", "delete", "options", "patch", "trace", "query")
UNEMULATED = "x-unemulated-methods"


def _operation_settings(contract: Contract) -> list[dict[str, Any]]:
    """Per operation: the 400s a rule-bound operation may answer, and the methods its path has in
    the real API though the contract leaves them out (x-unemulated-methods), which a deployment serves
    and so must not be sent as methods the path lacks."""
    found = []
    for operation_id, ref in contract.operations.items():
        entry: dict[str, Any] = {}
        if operation_id in RULE_BOUND_OPERATIONS:
            entry["checks"] = {"positive_data_acceptance": {"expected-statuses": RULE_BOUND_STATUSES}}
        served_elsewhere = {m.lower() for m in contract.document["paths"][ref.path].get(UNEMULATED, [])}
        if served_elsewhere:
            entry["phases"] = {"coverage": {"unexpected-methods": [m for m in UNEXPECTED_METHODS if m not in served_elsewhere]}}
        if entry:
            found.append({"include-operation-id": operation_id, **entry})
    return found


# The two tenants' names in the Web Fuzzing Commons auth document (never their keys: reports show names).
OWNER, PEER = "first-key", "second-key"


def build_config(settings: ConformSettings, contract: Contract, peers_document: Path | None = None) -> schemathesis.Config:
    data: dict[str, Any] = {
        "seed": settings.seed,
        "base-url": settings.base,
        "request-timeout": settings.request_timeout,
        "suppress-health-check": ["all"],
        "generation": {
            "mode": "all",
            "max-examples": settings.max_examples,
            "deterministic": False,  # the seed decides instead
            "database": "none",
            "with-security-parameters": False,  # every request carries the key; ignored_auth probes without
        },
        "checks": {
            "max_response_time": settings.max_response_time,
            "negative_data_rejection": {"expected-statuses": NEGATIVE_DATA_STATUSES},
        },
        "phases": {"stateful": {"max-steps": settings.stateful_steps}},
        "output": {"sanitization": {"enabled": False}},  # reports replace the key themselves
        "operations": _operation_settings(contract),
    }
    if peers_document is not None:
        # Two tenants: requests go out as the first; object_level_authorization replays the first's
        # reads of its own objects as the second, which must not get them.
        data["auth"] = {"wfc": {"path": str(peers_document), "user": OWNER, "peers": [OWNER, PEER]}}
    elif contract.api_key_scheme is not None:
        data["auth"] = {"openapi": {contract.api_key_scheme: {"api_key": settings.api_key}}}
    else:
        data["headers"] = {contract.api_key_header: settings.api_key}
    return schemathesis.Config.from_dict(data)


def without_unsafe_properties(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of the contract whose object schemas no longer offer the unsafe properties."""
    copied = copy.deepcopy(document)
    pending: list[Any] = [copied]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                for name in UNSAFE_BODY_PROPERTIES:
                    properties.pop(name, None)
                if isinstance(node.get("required"), list):
                    node["required"] = [name for name in node["required"] if name not in UNSAFE_BODY_PROPERTIES]
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return copied


def load_schema(settings: ConformSettings, contract: Contract) -> Any:
    """The schemathesis schema, pointed at the live base URL."""
    document = without_unsafe_properties(contract.document)
    try:
        if settings.second_api_key is None:
            schema = schemathesis.openapi.from_dict(document, config=build_config(settings, contract))
        else:
            # schemathesis reads the tenants from a file, once, as it loads: it lives only that long.
            with tempfile.TemporaryDirectory(prefix="conform-tenants-") as folder:
                peers_document = Path(folder) / "auth.json"
                _write_private(peers_document, _peers_document(contract.api_key_header, settings.api_key, settings.second_api_key))
                schema = schemathesis.openapi.from_dict(document, config=build_config(settings, contract, peers_document))
    except LoaderError as error:
        raise SpecError(f"{contract.path}: schemathesis cannot load it: {error}") from None
    schema.location = contract.path.resolve().as_uri()  # relative $refs resolve next to the file
    return schema


def _peers_document(header: str, key: str, second_key: str) -> dict[str, Any]:
    """A Web Fuzzing Commons auth document naming the two tenants and the header each key goes in."""
    return {"auth": [{"name": name, "fixedHeaders": [{"name": header, "value": value}]} for name, value in ((OWNER, key), (PEER, second_key))]}


def _write_private(path: Path, document: dict[str, Any]) -> None:
    """Written readable by its owner only: it holds both keys."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(document, file)
