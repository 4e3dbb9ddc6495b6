"""Every example in the README runs, so the README cannot drift from the code.

Each code block is claimed by one test below; a block no test claims fails the first test, so a
new example cannot be added without being exercised."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from mockserver.app import Settings, create_app
from mockserver.callback_policy import signature
from mockserver.cli import build_parser
from mockserver.server import ServerThread

from .readme import README, Block, block_with, blocks

ROOT = README.parent

# The first line of every block, and the test that runs it (or, for the first, what does).
CLAIMED = {
    "make serve": "make test is what CI runs; test_make_serve_answers runs make serve",
    "pip install videodb-clip-emulator": "tests/test_install.py installs into a fresh venv as this block says",
    "KEY=sk-emulator": "test_the_curl_walkthrough_answers_as_shown",
    "import videodb": "test_the_sdk_example_runs",
    "# upload by URL (or file_path=...)": "test_the_upload_example_runs",
    "import httpx\nimport pytest": "test_the_copyable_test_file_passes_under_xdist",
    "from mockserver.app import create_app": "test_the_server_thread_example_runs",
    'curl -s -H "x-access-token: sk-emulator" -H "content-type: application/json"': "test_the_prefer_example_is_accepted",
    "from mockserver import Control": "test_the_control_example_runs",
    "import hashlib, hmac": "test_the_signature_recipe_verifies_a_real_signature",
    "import httpx\n\n\ndef test_my_webhook": "test_the_webhook_test_passes",
    "def test_my_code_survives_one_unavailable_answer": "test_the_retry_example_passes",
    "mockserver conform --base-url": "test_the_conform_examples_are_valid_command_lines (a run needs a deployment; tests/conformance runs conform)",
    "api_keys: [sk-team-a]": "test_the_fixture_example_passes_check",
    "fault_rules:\n  - name: flaky-collections": "test_the_fault_rules_example_loads",
    "mockserver [--version]": "test_the_synopsis_names_only_real_options",
    "05:02:11.408 POST": "test_the_log_sample_has_the_logs_shape",
    "openapi.yaml        the contract": "test_the_layout_names_only_files_that_exist",
    "import pytest\nfrom videodb.exceptions import InvalidRequestError\n\nfrom mockserver.control": "test_readme_answers.py runs it with the plugin",
    "from hypothesis import given": "test_readme_answers.py runs it, and a client that miscounts fails it",
}


def test_every_block_is_claimed_by_a_test():
    unclaimed = [f"README.md:{b.line}: {b.text.splitlines()[0]}" for b in blocks() if not any(b.text.startswith(start) for start in CLAIMED)]
    assert not unclaimed, "examples no test runs:\n" + "\n".join(unclaimed)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A fresh emulator with the defaults `make serve` uses: the examples' ids are those of a first run."""
    with ServerThread(create_app(Settings())) as running:
        yield running.url


# curl, read as data: the examples use -s, -H, -d and a URL, and shell variables set in the block.
def _commands(script: str) -> list[tuple[str, list[str]]]:
    """(command, expected output prefixes) for each command of a shell block."""
    joined = script.replace("\\\n", " ")
    commands: list[tuple[str, list[str]]] = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped.startswith("# {") and commands:
            commands[-1][1].append(stripped[2:].split("…")[0])
        elif stripped and not stripped.startswith("#"):
            commands.append((stripped, []))
    return commands


def _curl(command: str, variables: dict[str, str]) -> httpx.Response:
    words = shlex.split(re.sub(r"\$(\w+)", lambda m: variables[m.group(1)], command))
    assert words[0] == "curl", command
    headers, data, url = {}, None, None
    rest = iter(words[1:])
    for word in rest:
        if word == "-s":
            continue
        if word == "-H":
            name, value = next(rest).split(":", 1)
            headers[name.strip()] = value.strip()
        elif word == "-d":
            data = next(rest)
        else:
            assert not word.startswith("-"), f"the README's curl uses {word}, which this reader does not know"
            url = word
    assert url is not None, command
    return httpx.request("POST" if data is not None else "GET", url, headers=headers, content=data)


def _run_shell_block(block: Block, url: str) -> list[tuple[str, httpx.Response, list[str]]]:
    variables: dict[str, str] = {}
    ran = []
    for command, expected in _commands(block.at(url)):
        assignment = re.fullmatch(r"(\w+)=(\S+)", command)
        if assignment:
            variables[assignment.group(1)] = assignment.group(2)
            continue
        ran.append((command, _curl(command, variables), expected))
    return ran


def test_the_curl_walkthrough_answers_as_shown(server):
    ran = _run_shell_block(block_with("sh", "KEY=sk-emulator"), server)
    assert len(ran) == 4
    for command, answer, expected in ran:
        assert answer.status_code == 200, (command, answer.text)
        assert expected, f"every command of the walkthrough shows what it answers: {command}"
        for prefix in expected:
            assert answer.text.startswith(prefix), f"{command}\n  README: {prefix}\n  served: {answer.text[:300]}"


def test_the_prefer_example_is_accepted(server):
    [(command, answer, _)] = _run_shell_block(block_with("sh", "Prefer: outcome=failed"), server)
    assert answer.status_code == 200 and answer.json()["status"] == "processing", answer.text
    job = httpx.get(answer.json()["data"]["output_url"], headers={"x-access-token": "sk-emulator"}).json()
    assert job["status"] == "processing", "polls=2 holds it for two polls"


def _exec(source: str) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(source, str(README), "exec"), {"__name__": "readme_example"})
    return printed.getvalue()


def test_the_sdk_example_runs(server):
    printed = _exec(block_with("python", "clip = video.clip(").at(server)).splitlines()
    assert len(printed) >= 2 and printed[-1].startswith("http"), printed  # the shots, then compile() and the embed code


def test_the_upload_example_runs(server):
    printed = _exec(block_with("python", "# upload by URL").at(server)).splitlines()
    assert any("penalty" in line.lower() for line in printed[:-2]), printed  # the shots found
    assert printed[-2].startswith(server) and printed[-1], printed  # the compiled stream, then the transcript's opening


def test_the_server_thread_example_runs():
    printed = _exec(block_with("python", "from mockserver.server import ServerThread").text)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+\n", printed)


def test_the_control_example_runs(server):
    printed = _exec(block_with("python", "from mockserver import Control").at(server))
    assert printed.startswith("[] [") and printed.strip().endswith("]")


def test_the_signature_recipe_verifies_a_real_signature():
    namespace: dict = {}
    exec(block_with("python", "import hashlib, hmac").text, namespace)
    body = b'{"success":true,"status":"done","job_id":"job-1"}'
    header = signature("emulator-callback-secret", "12.500", body)
    assert namespace["verify"]("emulator-callback-secret", header, body)
    assert not namespace["verify"]("another-secret", header, body)
    assert not namespace["verify"]("emulator-callback-secret", header, body + b" ")


def test_the_copyable_test_file_passes_under_xdist(pytester: pytest.Pytester):
    source = block_with("python", "def test_success(videodb_mock)").text
    pytester.makepyfile(test_copied=source)
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=source.count("\ndef test_"))
    result.stdout.fnmatch_lines(["*2 workers*"])


def test_the_webhook_test_passes(pytester: pytest.Pytester):
    pytester.makepyfile(test_webhook=block_with("python", "def test_my_webhook_gets_the_result").text)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_retry_example_passes(pytester: pytest.Pytester):
    pytester.makepyfile(test_retry=block_with("python", "def test_my_code_survives_one_unavailable_answer").text)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_conform_examples_are_valid_command_lines():
    block = block_with("sh", "mockserver conform --base-url")
    commands = [command for command, _ in _commands(block.text.replace("VIDEODB_API_KEY=sk-... ", ""))]
    assert len(commands) == 3
    for command in commands:
        words = shlex.split(command.split("#")[0])
        assert words[:2] == ["mockserver", "conform"]
        build_parser().parse_args(words[1:])  # exits 2 on an unknown option or a bad value


def test_the_fixture_example_passes_check(tmp_path):
    (tmp_path / "news.yaml").write_text(block_with("yaml", "api_keys: [sk-team-a]").text)
    result = subprocess.run([sys.executable, "-m", "mockserver", "check", "--fixtures", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    from mockserver.fixtures import load_fixtures

    fixtures = load_fixtures(tmp_path)
    assert fixtures.source_urls == {"https://media.example.com/evening.mp4": "m-news-1"}
    assert [(rule.kind, rule.url_contains, rule.outcome.message) for rule in fixtures.job_rules] == [("upload", "draft", "Upload failed: drafts are not accepted")]


def test_the_fault_rules_example_loads(tmp_path):
    from mockserver.fixtures import load_fault_file

    (tmp_path / "faults.yaml").write_text(block_with("yaml", "fault_rules:").text)
    [rule] = load_fault_file(tmp_path / "faults.yaml")
    assert (rule.name, rule.fault.code, rule.fault.retry_after, rule.rate, rule.method, rule.path) == ("flaky-collections", 503, 1, 0.1, "GET", "/collection")


def test_the_synopsis_names_only_real_options():
    synopsis = block_with("", "mockserver [--version]").text
    command = None
    for line in synopsis.splitlines():
        words = line.split()
        if words and words[0] == "mockserver":
            command = words[1] if not words[1].startswith("[") else None
            help_text = subprocess.run(
                [sys.executable, "-m", "mockserver", *([command] if command else []), "--help"], capture_output=True, text=True, timeout=60
            ).stdout
        for option in re.findall(r"\[(--[a-z-]+)", line) + re.findall(r"\| (--[a-z-]+)", line):
            assert option in help_text, f"README synopsis: mockserver {command or ''} has no {option}"


def test_the_log_sample_has_the_logs_shape(server):
    shape = re.compile(r"\d\d:\d\d:\d\d\.\d{3} [A-Z]+ /\S* (\S+) \d{3} \d+\.\dms( .+)?")
    for line in block_with("", "05:02:11.408 POST").text.splitlines():
        assert shape.fullmatch(line), line


def test_the_layout_names_only_files_that_exist():
    layout = block_with("", "openapi.yaml        the contract").text
    for line in layout.splitlines():
        first = line.split()[0] if line.strip() else ""
        if re.fullmatch(r"[\w./-]+\.(py|yaml)|[\w-]+/", first.rstrip(",")):
            base = ROOT / "mockserver" if line.startswith("  ") else ROOT
            for name in re.findall(r"[\w./-]+(?:\.py|\.yaml|/)", line.split("  ")[1] if line.startswith("  ") else first):
                assert (base / name).exists() or (ROOT / name).exists(), f"README layout: {name} does not exist"


def test_the_layout_names_every_module():
    layout = block_with("", "openapi.yaml        the contract").text
    modules = sorted(path.name for path in (ROOT / "mockserver").glob("*.py") if not path.name.startswith("__"))
    missing = [name for name in modules if not re.search(rf"(^|[\s,]){re.escape(name)}\b", layout, re.MULTILINE)]
    assert not missing, f"README layout does not name {missing}"


def test_make_serve_answers():
    make = subprocess.Popen(
        ["make", "--no-print-directory", "serve", "PORT=0"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True
    )
    try:
        for line in make.stdout:
            if "ready at" in line:
                url = re.search(r"ready at (\S+)", line).group(1)
                break
        else:
            pytest.fail("make serve ended without a ready line")
        assert httpx.get(f"{url}/collection/default", headers={"x-access-token": "sk-emulator"}).status_code == 200
    finally:
        os.killpg(make.pid, signal.SIGINT)  # make and the server it started: the group we began
        make.wait(timeout=15)


def _limits_rows() -> dict[str, str]:
    source = README.read_text(encoding="utf-8")
    table = source[source.index("## Limits"):source.index("## Performance")]
    return {row.split("|")[1].strip(): row for row in table.splitlines() if row.startswith("| ") and not row.startswith("| what")}


def _k(number: int) -> str:
    return f"{number:,}"


def test_the_limits_table_states_the_defaults_the_code_has():
    import yaml

    from mockserver import app, fixtures, journal, preferences, searches
    from mockserver.callback_policy import CallbackPolicy
    from mockserver.connection_limits import ConnectionLimits
    from mockserver.kinds import scene_index
    from mockserver.library import LibraryLimits
    from mockserver.store import StoreLimits

    settings, connections, store, callbacks, library = Settings(), ConnectionLimits(), StoreLimits(), CallbackPolicy(), LibraryLimits()
    clip = yaml.safe_load((ROOT / "openapi.yaml").read_text())["components"]["schemas"]["ClipRequest"]["properties"]
    backoffs = ", ".join(f"{callbacks.backoff_seconds * 2**n:g}" for n in range(callbacks.max_attempts - 1))
    expected = {
        "request body": [f"{settings.body_limit // 2**20} MiB"],
        "request line and headers": [f"{connections.max_header_bytes // 1024} KiB", f"{connections.max_headers} fields"],
        "a whole request (line, headers, body)": [f"{connections.request_seconds:g} s"],
        "an idle keep-alive connection": [f"{connections.keep_alive_seconds:g} s"],
        "open connections": [_k(connections.max_connections)],
        "`Prefer` header": [_k(preferences.MAX_LENGTH)],
        "`prompt`, `callback_url`": [_k(clip["prompt"]["maxLength"]), _k(clip["callback_url"]["maxLength"])],
        "jobs": [f"{_k(store.max_jobs)} in all", f"{_k(store.max_jobs_per_namespace)} per key"],
        "a file posted to an upload URL": [f"{settings.upload_limit // 2**20} MiB"],
        "a collection search's answer": [f"{_k(searches.MAX_COLLECTION_DOCS)} docs"],
        "a key's own media (its library)": [
            f"{_k(library.uploads_per_key)} uploaded videos",
            f"{library.upload_slots_per_key} unused upload URLs",
            f"{_k(library.scene_indexes_per_key)} scene indexes per key",
            f"{_k(library.uploads)} uploads, {library.upload_text_bytes // 2**20} MiB",
            f"{_k(library.scene_indexes)} scene indexes in all",
            f"{_k(library.keys)} keys (and {_k(library.remembered_keys)} evicted keys' id counters)",
            f"{_k(scene_index.MAX_RECORDS)} time windows",
        ],
        "keys with state": [_k(store.max_namespaces), f"{_k(store.remembered_keys)} evicted"],
        "text kept with jobs (prompts, callback URLs)": [f"{store.max_job_bytes // 2**20} MiB in all"],
        "journal of a key": [f"{store.journal_size} entries", f"{journal.BYTE_BUDGET // 1024} KiB", f"{app._JOURNAL_HEAD_LIMIT // 1024} KiB of headers", f"{app._JOURNAL_BODY_LIMIT // 1024} KB of body"],
        "delivery log of a key": [f"{store.journal_size} attempts"],
        "callbacks waiting or in flight": [f"{_k(callbacks.max_pending)} in all", f"{callbacks.max_in_flight} on the wire"],
        "one callback attempt": [f"{callbacks.timeout_seconds:g} s in all"],
        "callback attempts": [f"{callbacks.max_attempts}, waiting {backoffs} s"],
        "an out-of-order callback held back": [f"{callbacks.hold_limit_seconds:g} s"],
        "a fixture file": [f"{fixtures.MAX_FILE_BYTES // 2**20} MiB", f"nesting {fixtures.MAX_DEPTH} deep", f"at most {fixtures._EXCERPT} characters"],
    }
    rows = _limits_rows()
    for what, phrases in expected.items():
        assert what in rows, f"the Limits table has no row {what!r}"
        for phrase in phrases:
            assert phrase in rows[what], f"Limits, {what}: the code says {phrase!r}\n{rows[what]}"
