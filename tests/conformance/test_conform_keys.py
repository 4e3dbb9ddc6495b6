"""An unknown key: refused with 401 by a deployment that knows its keys; judged as a tenant of its own
(it sees no one's job) only when the run says the target serves any key (--open-keys)."""

from __future__ import annotations

import shutil
from pathlib import Path

from mockserver import resources
from mockserver.app import Settings, create_app

from .conftest import KEY

ONLY_JOBS = ("--phases", "schema,lifecycle")


def test_a_deployment_that_knows_its_keys_refuses_an_unknown_one_and_conforms(serve, conform, tmp_path: Path):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(resources.default_fixtures_dir(), fixtures)
    (fixtures / "keys.yaml").write_text(f"api_keys: [{KEY}]\n", encoding="utf-8")
    server = serve(create_app(Settings(fixtures_dir=fixtures)))
    run = conform(server.url, *ONLY_JOBS, open_keys=False)
    assert run.exit_code == 0, run.output + run.errors
    assert {"auth_on_every_operation", "poll_needs_a_valid_key"} <= run.passed_checks
    assert run.failed_checks == set()


def test_a_target_serving_any_key_fails_the_unknown_key_check_unless_keys_are_open(serve, conform):
    server = serve(create_app())
    strict = conform(server.url, *ONLY_JOBS, open_keys=False)
    assert strict.exit_code != 0 and "CONFORMS" not in strict.output.replace("DOES NOT CONFORM", "")
    assert {"auth_on_every_operation", "poll_needs_a_valid_key"} <= strict.failed_checks
    assert "with an unknown key" in strict.report and "not 401" in strict.report
    assert "with a malformed key" not in strict.report, "only the unknown key is the problem"
    opened = conform(server.url, *ONLY_JOBS)
    assert opened.exit_code == 0 and {"auth_on_every_operation", "poll_needs_a_valid_key"} <= opened.passed_checks
