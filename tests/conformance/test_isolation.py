"""The conformance package speaks HTTP only: loading all of it loads nothing else of mockserver."""

from __future__ import annotations

import subprocess
import sys


def test_the_conformance_package_imports_nothing_of_the_server():
    probe = (
        "import sys, mockserver.conformance.runner, mockserver.conformance.cli;"
        "print(sorted(m for m in sys.modules if m.startswith('mockserver') and not m.startswith('mockserver.conformance')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['mockserver']", "only the parent package itself, which Python always loads"
