"""pytest fixtures for testing code that talks to VideoDB, registered through ``pytest11``.

- ``videodb_emulator``: one real emulator server per test session (per xdist worker), on a free port.
- ``videodb_mock``: per test, a fresh namespace (its own API key) with ``base_url``, ``api_key``,
  ``control`` (clock, overrides, journal, jobs, deliveries) and ``connect()`` for an SDK connection.
- ``videodb_callback_receiver``: per test, a real HTTP receiver on loopback that collects callbacks.

Options: ``--videodb-fixtures DIR``, ``--videodb-seed N``, ``--videodb-clock real|virtual``,
``--videodb-strict``. Marker: ``@pytest.mark.videodb(...)`` for one test or module, with those
settings and the server's callback and admin options (see MARKER_SETTINGS).

Every request the session's servers answer is logged to the ``mockserver.requests`` logger, so a
failed test shows the calls it made (refused ones at WARNING) beside its output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from . import journal_assertions
from .callback_policy import CallbackPolicy
from .control import Control, NamespaceControl
from .receiver import CallbackReceiver
from .settings import Settings

CLOCK_MODES = ("real", "virtual")
KEY_PREFIX = "sk-test-"  # every test's key; accepted even where the fixtures list api_keys
REQUEST_LOGGER = "mockserver.requests"

# What the marker may set, beyond fixtures, seed, clock and strict: the server's own options.
# Tests with the same server options share a server, started on first use.
_CALLBACK_SETTINGS = {
    "callback_attempts": "max_attempts",
    "callback_backoff": "backoff_seconds",
    "callback_timeout": "timeout_seconds",
    "callback_secret": "secret",
    "callback_allow": "allowed_hosts",
    "callback_allow_self": "allow_self",
}
SERVER_SETTINGS = frozenset({"admin_token", "faults", *_CALLBACK_SETTINGS})  # each set of these gets its own server
MARKER_SETTINGS = frozenset({"fixtures", "seed", "clock", "strict", *SERVER_SETTINGS})
ServerOptions = tuple[tuple[str, Any], ...]  # sorted (name, value) pairs of the server's own options


@dataclass
class EmulatorServer:
    """A running emulator: where it answers and how to steer it."""

    url: str
    control: Control
    fixtures: Path | None
    seed: int
    options: ServerOptions = ()

    @contextlib.contextmanager
    def fresh_mock(self) -> Iterator[VideoDBMock]:
        """A namespace of its own for one example of a hypothesis test (which cannot use the
        function-scoped ``videodb_mock``): a new key each time, forgotten on the way out. The key
        names the xdist worker, so parallel workers never share one."""
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        key = f"{KEY_PREFIX}example-{worker}-{next(_EXAMPLE_KEYS)}"
        namespace = self.control.namespace(key)
        namespace.reset()
        try:
            yield VideoDBMock(self.url, key, namespace, self)
        finally:
            namespace.reset()


_EXAMPLE_KEYS = itertools.count(1)


@dataclass
class VideoDBMock:
    """One test's own corner of the emulator."""

    base_url: str
    api_key: str
    control: NamespaceControl
    server: EmulatorServer = field(repr=False)

    @property
    def clock(self) -> Any:
        return self.control.clock

    def connect(self, **kwargs: Any) -> Any:
        """An unmodified ``videodb`` SDK connection bound to this namespace."""
        try:
            import videodb
        except ImportError as error:  # pragma: no cover - depends on the user's environment
            raise RuntimeError("videodb_mock.connect() needs the VideoDB SDK: pip install videodb") from error
        return videodb.connect(api_key=self.api_key, base_url=self.base_url, **kwargs)

    def headers(self) -> dict[str, str]:
        """Headers for raw HTTP calls as this test's key."""
        return {"x-access-token": self.api_key}

    def calls(self) -> list[dict[str, Any]]:
        """Every call this test's key made (the journal), oldest first."""
        return self.control.journal()

    def assert_called(self, method: str, path: str, *, body: Any = journal_assertions.ANY, query: Any = journal_assertions.ANY, times: int | None = None) -> list[dict[str, Any]]:
        """This test's key made ``method path`` (with that exact JSON ``body`` and ``query``, when
        given; exactly ``times`` times, when given). Returns the matching calls; on a mismatch the
        AssertionError lists every call and diffs the body against the closest one."""
        return journal_assertions.assert_called(self.calls(), method, path, body, query, times)

    def assert_not_called(self, method: str, path: str) -> None:
        journal_assertions.assert_not_called(self.calls(), method, path)

    @contextlib.contextmanager
    def faults(self, **fault: Any) -> Iterator[None]:
        """Inside the block, this key's next requests get a fault (``code=503, retry_after=1``,
        ``delay=2``, ``drop="close"``; ``times``, ``method``, ``path`` choose which requests);
        whatever is left of it is cleared on the way out."""
        self.control.add_fault(**fault)
        try:
            yield
        finally:
            self.control.clear_faults()

    @contextlib.contextmanager
    def answers(self, *answers: dict[str, Any], check: bool = True) -> Iterator[None]:
        """Inside the block, this key's next requests of each answer's operation get that answer as
        given (dicts with ``operation`` and ``body``, as ``mockserver.control.given_answer_body``
        builds them); whatever was not served is cleared on the way out."""
        self.control.give_answers(list(answers), check=check)
        try:
            yield
        finally:
            self.control.clear_given_answers()


class _Servers:
    """Emulator servers of this session, one per (fixtures, seed, server options), started on first use."""

    def __init__(self) -> None:
        self._running: dict[tuple[Path | None, int, ServerOptions], tuple[Any, EmulatorServer]] = {}

    def get(self, fixtures: Path | None, seed: int, options: ServerOptions = ()) -> EmulatorServer:
        key = (fixtures, seed, options)
        if key not in self._running:
            from .app import create_app
            from .request_log import RequestLog
            from .server import ServerThread

            chosen = dict(options)
            callbacks = dataclasses.replace(
                CallbackPolicy(), **{field: _policy_value(field, chosen[name]) for name, field in _CALLBACK_SETTINGS.items() if name in chosen}
            )
            from .fixtures import load_fault_file

            settings = Settings(
                fault_rules=load_fault_file(_fixtures_path(chosen["faults"])) if "faults" in chosen else (),  # type: ignore[arg-type]
                fixtures_dir=fixtures,
                seed=seed,
                # Loopback only, so a page in a browser on this machine cannot reach the control API by a rebound name.
                admin_hosts=frozenset({"127.0.0.1"}),
                admin_token=chosen.get("admin_token"),
                callbacks=callbacks,
                extra_key_prefix=KEY_PREFIX,
                request_log=RequestLog.to_logger(_request_logger()),
            )
            thread = ServerThread(create_app(settings)).start()
            control = Control(thread.url, admin_token=chosen.get("admin_token"))
            self._running[key] = (thread, EmulatorServer(thread.url, control, fixtures, seed, options))
        return self._running[key][1]

    def stop_all(self) -> None:
        for thread, server in self._running.values():
            server.control.close()
            thread.stop()
        self._running.clear()


def _policy_value(field_name: str, value: Any) -> Any:
    if field_name == "allowed_hosts":
        return frozenset([value] if isinstance(value, str) else value)
    return value


def _request_logger() -> logging.Logger:
    logger = logging.getLogger(REQUEST_LOGGER)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)  # pytest shows a failed test's requests; the user's config may override
    return logger


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("videodb-emulator", "VideoDB emulator")
    group.addoption("--videodb-fixtures", default=None, help="fixtures folder for the VideoDB emulator (default: bundled)")
    group.addoption("--videodb-seed", type=int, default=Settings().seed, help="seed of the emulator's generated ids (default %(default)s)")
    group.addoption("--videodb-clock", choices=CLOCK_MODES, default="real", help="each test's clock: real, or virtual (frozen)")
    group.addoption(
        "--videodb-strict",
        action="store_true",
        default=False,
        help="a test fails at teardown when its key made calls the emulator refused as unknown or unauthenticated",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "videodb(fixtures=None, seed=None, clock=None, strict=None, faults=None, admin_token=None, callback_attempts=None, callback_backoff=None, "
        "callback_timeout=None, callback_secret=None, callback_allow=None, callback_allow_self=None): "
        "run this test against an emulator with these settings",
    )


def _fixtures_path(value: Any) -> Path | None:
    return Path(value).resolve() if value else None


@pytest.fixture(scope="session")
def _videodb_servers() -> Iterator[_Servers]:
    servers = _Servers()
    yield servers
    servers.stop_all()


@pytest.fixture(scope="session")
def videodb_emulator(request: pytest.FixtureRequest, _videodb_servers: _Servers) -> EmulatorServer:
    """The session's emulator, with the command-line settings."""
    options = request.config.option
    return _videodb_servers.get(_fixtures_path(options.videodb_fixtures), options.videodb_seed)


def _namespace_key(node_id: str) -> str:
    """Stable per test, distinct between tests: the same test always gets the same ids."""
    return KEY_PREFIX + hashlib.blake2b(node_id.encode(), digest_size=8).hexdigest()


@pytest.fixture
def videodb_mock(request: pytest.FixtureRequest, videodb_emulator: EmulatorServer, _videodb_servers: _Servers) -> Iterator[VideoDBMock]:
    """A fresh namespace for this test: its own key, jobs, clock, journal and overrides."""
    marker = request.node.get_closest_marker("videodb")
    settings = dict(marker.kwargs) if marker else {}
    unknown = set(settings) - MARKER_SETTINGS
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.videodb got unknown settings: {', '.join(sorted(unknown))}; known: {', '.join(sorted(MARKER_SETTINGS))}")
    server = videodb_emulator
    options = tuple(sorted((name, _hashable(value)) for name, value in settings.items() if name in SERVER_SETTINGS))
    if "fixtures" in settings or "seed" in settings or options:
        fixtures = _fixtures_path(settings["fixtures"]) if "fixtures" in settings else videodb_emulator.fixtures
        server = _videodb_servers.get(fixtures, int(settings.get("seed", videodb_emulator.seed)), options)
    clock = settings.get("clock", request.config.option.videodb_clock)
    if clock not in CLOCK_MODES:
        raise pytest.UsageError(f"@pytest.mark.videodb(clock=...) must be one of {CLOCK_MODES}, got {clock!r}")

    key = _namespace_key(request.node.nodeid)
    namespace = server.control.namespace(key)
    namespace.reset()
    # Either call gives the key its state at once, so that even its first call, if refused, is journaled.
    if clock == "virtual":
        namespace.clock.freeze()
    else:
        namespace.clock.now()
    mock = VideoDBMock(server.url, key, namespace, server)
    yield mock
    if settings.get("strict", request.config.option.videodb_strict):
        refused = [entry for entry in mock.calls() if entry.get("refused")]
        if refused:
            listed = "\n".join(f"  {e['method']} {e['path']} -> {e['status']}: {e['refused']}" for e in refused)
            pytest.fail(f"strict: this test's key made {len(refused)} call(s) the emulator refused:\n{listed}", pytrace=False)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@pytest.fixture
def videodb_callback_receiver() -> Iterator[CallbackReceiver]:
    """Collects the emulator's callback deliveries; give its ``url`` as a clip's ``callback_url``."""
    with CallbackReceiver() as receiver:
        yield receiver
