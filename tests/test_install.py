"""A newcomer's install, in a fresh virtualenv, exactly as the README's install block says: the
package (from this clone) and what the copyable tests need, then the first commands they try."""

from __future__ import annotations

import shlex
import socket
import subprocess
import venv
from pathlib import Path

import pytest

from .readme import README, block_with

ROOT = README.parent
CONSTRAINTS = ROOT / "constraints.txt"


def _install_lines() -> list[list[str]]:
    """The README's pip commands for the package and the test file, as argument lists."""
    block = block_with("sh", "pip install videodb-clip-emulator")
    lines = [shlex.split(line.split("#")[0]) for line in block.text.splitlines() if line.startswith("pip install")]
    return [words for words in lines if not any("[" in word for word in words)]  # the extras are tried elsewhere


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("newcomer") / "venv"
    venv.EnvBuilder(with_pip=True).create(home)
    python = home / "bin" / "python"
    for words in _install_lines():
        assert words[:2] == ["pip", "install"]
        # The package is not on an index here: the clone stands in for it, as the README's comment says.
        targets = [str(ROOT) if word == "videodb-clip-emulator" else word for word in words[2:]]
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", str(CONSTRAINTS), *targets],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    return home


def _run(venv_home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv_home / "bin" / args[0]), *args[1:]], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_the_readme_installs_what_its_examples_need():
    assert [words[2:] for words in _install_lines()] == [["videodb-clip-emulator"], ["videodb", "pytest", "pytest-xdist"]]


def test_version_answers(fresh_venv):
    from mockserver import __version__

    result = _run(fresh_venv, "mockserver", "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"mockserver {__version__}"


def test_a_busy_port_is_one_line_and_a_non_zero_exit(fresh_venv):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        result = _run(fresh_venv, "mockserver", "serve", "--port", str(busy))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1 and f"port {busy}" in result.stderr


def test_the_readme_fixture_example_passes_check(fresh_venv, tmp_path):
    (tmp_path / "news.yaml").write_text(block_with("yaml", "api_keys: [sk-team-a]").text)
    result = _run(fresh_venv, "mockserver", "check", "--fixtures", str(tmp_path))
    assert result.returncode == 0, result.stderr


def test_the_readme_test_file_passes_under_xdist(fresh_venv, tmp_path):
    source = block_with("python", "def test_success(videodb_mock)").text
    (tmp_path / "test_copied.py").write_text(source)
    result = _run(fresh_venv, "python", "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "test_copied.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"{source.count(chr(10) + 'def test_')} passed" in result.stdout


def test_the_base_install_leaves_conform_out_and_says_what_to_install(fresh_venv):
    result = _run(fresh_venv, "mockserver", "conform", "--base-url", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert result.stderr.strip() == "mockserver conform needs schemathesis, which comes with the conform extra: pip install 'videodb-clip-emulator[conform]'"
    imported = _run(fresh_venv, "python", "-c", "import schemathesis")
    assert imported.returncode != 0, "schemathesis (and its pytest plugin) stays out of the base install"


def test_the_answer_strategies_say_what_to_install_without_hypothesis(fresh_venv):
    result = _run(fresh_venv, "python", "-c", "import mockserver.strategies")
    assert result.returncode != 0
    assert result.stderr.strip().endswith("ImportError: mockserver.strategies needs hypothesis: pip install 'videodb-clip-emulator[conform]'")


def test_the_package_says_it_is_typed(fresh_venv):
    result = _run(fresh_venv, "python", "-c", "import mockserver, pathlib; print((pathlib.Path(mockserver.__file__).parent / 'py.typed').exists())")
    assert result.stdout.strip() == "True"


def test_runtime_dependencies_are_ranges_and_the_tested_set_satisfies_them():
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pinned[name.lower().replace("_", "-")] = version
    for text in project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]:
        requirement = Requirement(text)
        if requirement.name == "videodb-clip-emulator":
            continue
        exact = [spec for spec in requirement.specifier if spec.operator == "=="]
        assert not exact or text in project["optional-dependencies"]["test"], f"{text}: a runtime dependency takes a range"
        if requirement.marker is None or requirement.marker.evaluate():
            assert requirement.name.lower() in pinned, f"{requirement.name} is not pinned in constraints.txt"
            assert requirement.specifier.contains(pinned[requirement.name.lower()]), f"{text} vs {pinned[requirement.name.lower()]}"
