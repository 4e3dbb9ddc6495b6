"""Two tenants in the schema phase: schemathesis' object_level_authorization replays what the run's
key read of its own (a processing job's poll names its job) under --second-api-key."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from mockserver import resources
from mockserver.app import Settings, create_app
from mockserver.conformance.contract import default_spec_path

from . import broken

# Only the clip journey's operations: the sequences then create clips and poll them, which is where
# the check fits (a done answer no longer names its job).
CLIP_JOURNEY_PATHS = ("/video", "/video/{video_id}", "/video/{video_id}/clip", "/async-response/{job_id}")
RUN = ("--phases", "schema", "--stateful-examples", "20", "--max-jobs", "20", "--second-api-key", broken.SECOND_KEY)


def _clip_journey_spec(folder: Path) -> str:
    document = yaml.safe_load(default_spec_path().read_text(encoding="utf-8"))
    document["paths"] = {path: item for path, item in document["paths"].items() if path in CLIP_JOURNEY_PATHS}
    spec = folder / "clip-journey.yaml"
    spec.write_text(yaml.safe_dump(document), encoding="utf-8")
    return str(spec)


def _slow_clips(folder: Path) -> Any:
    """An emulator whose every clip answers processing for five polls, naming its job each time."""
    fixtures = folder / "fixtures"
    shutil.copytree(resources.default_fixtures_dir(), fixtures)
    rule = {"name": "slow", "match": {}, "outcome": "done", "processing_polls": 5, "shots": "derive"}
    (fixtures / "clip-rules.yaml").write_text(yaml.safe_dump({"clip_rules": [rule]}), encoding="utf-8")
    return create_app(Settings(fixtures_dir=fixtures))


def test_a_tenants_job_read_under_the_other_key_is_caught(serve, conform, tmp_path: Path):
    spec = _clip_journey_spec(tmp_path)
    apart = conform(serve(_slow_clips(tmp_path / "apart")).url, *RUN, "--spec", spec)
    assert apart.exit_code == 0, apart.output
    assert "object_level_authorization" in apart.passed_checks
    shared = broken.one_namespace_for_every_key()
    shared.app = _slow_clips(tmp_path / "shared")
    leaky = conform(serve(shared).url, *RUN, "--spec", spec)
    assert leaky.exit_code == 1 and leaky.failed_checks == {"object_level_authorization"}, leaky.output
    assert "`second-key` received the `Job` that `first-key` owns" in leaky.report
    assert broken.SECOND_KEY not in leaky.report and broken.RUN_KEY not in leaky.report, "reports name tenants, never keys"


def test_a_check_that_found_nothing_to_replay_says_so_instead_of_passing(serve, conform):
    # The bundled fixtures finish a clip on its first poll: no answer names an object of the run's own.
    run = conform(serve(create_app()).url, "--phases", "schema", "--max-examples", "1", "--second-api-key", broken.SECOND_KEY)
    assert run.exit_code == 0, run.output
    assert "object_level_authorization" not in run.passed_checks
    assert "object_level_authorization never applied" in run.output
