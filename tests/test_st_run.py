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
