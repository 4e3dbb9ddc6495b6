"""schemathesis fuzzes the control API in-process, from its own contract, with every check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis

from mockserver.app import Settings, create_app
from mockserver.resources import admin_spec_path

from .contract import ContractRecorder, assert_conforms
from .test_fuzz_schemathesis import answer_500_instead_of_raising

HERE = Path(__file__).resolve().parent
CONFIG = schemathesis.Config.from_path(HERE / "schemathesis-admin.toml")

RECORDER = ContractRecorder(create_app(Settings(admin_token="admin-fuzzing")))
schema = schemathesis.openapi.from_path(admin_spec_path(), config=CONFIG)
schema.app = answer_500_instead_of_raising(RECORDER)


@schema.parametrize()
def test_every_control_operation(case: Any) -> None:
    """Each answer passes schemathesis's checks and, on its own, the independent oracle too (per
    operation, so the check holds wherever pytest-xdist runs it)."""
    RECORDER.exchanges.clear()
    case.call_and_validate()
    assert RECORDER.exchanges, "the case reached the app"
    assert_conforms(RECORDER)
