"""A user's plain schemathesis run from the project root passes on the emulator: its
schemathesis.toml (found there by `st run`) says what JSON Schema cannot."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from mockserver.app import Settings, create_app
from mockserver.server import ServerThread
from mockserver.spec import compile_spec

ROOT = Path(__file__).resolve().parent.parent


def _st() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent))
    assert found, "schemathesis's st command comes with the conform extra"
    return found


def test_st_run_with_every_check_passes_from_the_project_root():
    with ServerThread(create_app(Settings())) as server:
        result = subprocess.run(
            [_st(), "run", "openapi.yaml", "--url", server.url, "--checks", "all", "--max-examples", "8"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 0, result.stdout[-4000:]
    operations = len(compile_spec(ROOT / "openapi.yaml").operations)
    assert f"Tested: {operations}" in result.stdout and " failed" not in result.stdout.split("SUMMARY")[-1]


def test_the_config_keeps_st_from_sending_the_published_methods_the_contract_leaves_out():
    """A method openapi.yaml lists under x-unemulated-methods exists in the real API (the emulator
    answers it 501): schemathesis.toml must not let st send it as a method the path lacks."""
    import tomllib

    import yaml

    paths = yaml.safe_load((ROOT / "openapi.yaml").read_text())["paths"]
    configured = {
        entry["include-operation-id"]: set(entry["phases"]["coverage"]["unexpected-methods"])
        for entry in tomllib.loads((ROOT / "schemathesis.toml").read_text())["operations"]
        if "phases" in entry
    }
    for path, item in paths.items():
        for method in item.get("x-unemulated-methods", []):
            for operation in (value for key, value in item.items() if isinstance(value, dict) and "operationId" in value):
                sent = configured.get(operation["operationId"])
                assert sent is not None and method not in sent, f"st would send {method.upper()} {path} as an unexpected method"
