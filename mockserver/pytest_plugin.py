"""pytest fixtures for testing code that talks to VideoDB, registered through ``pytest11``.

- ``videodb_emulator``: one real emulator server per test session (per xdist worker), on a free port.
- ``videodb_mock``: per test, a fresh namespace (its own API key) with ``base_url``, ``api_key``,
  ``control`` (clock, overrides, journal, jobs, deliveries) and ``connect()`` for an SDK connection.
- ``videodb_callback_receiver``: per test, a real HTTP receiver on loopback that collects callbacks.

Options: ``--videodb-fixtures DIR``, ``--videodb-seed N``, ``--videodb-clock real|virtual``.
Marker: ``@pytest.mark.videodb(fixtures=..., seed=..., clock=...)`` for one test or module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .control import Control, NamespaceControl
from .receiver import CallbackReceiver
from .settings import Settings

CLOCK_MODES = ("real", "virtual")


@dataclass
class EmulatorServer:
    """A running emulator: where it answers and how to steer it."""

    url: str
    control: Control
    fixtures: Path | None
    seed: int


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


class _Servers:
    """Emulator servers of this session, one per (fixtures, seed), started on first use."""

    def __init__(self) -> None:
        self._running: dict[tuple[Path | None, int], tuple[Any, EmulatorServer]] = {}

    def get(self, fixtures: Path | None, seed: int) -> EmulatorServer:
        key = (fixtures, seed)
        if key not in self._running:
            from .app import Settings, create_app
            from .server import ServerThread

            # Loopback only, so a page in a browser on this machine cannot reach the control API by a rebound name.
            settings = Settings(fixtures_dir=fixtures, seed=seed, admin_hosts=frozenset({"127.0.0.1"}))
            thread = ServerThread(create_app(settings)).start()
            self._running[key] = (thread, EmulatorServer(thread.url, Control(thread.url), fixtures, seed))
        return self._running[key][1]

    def stop_all(self) -> None:
        for thread, server in self._running.values():
            server.control.close()
            thread.stop()
        self._running.clear()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("videodb-emulator", "VideoDB emulator")
    group.addoption("--videodb-fixtures", default=None, help="fixtures folder for the VideoDB emulator (default: bundled)")
    group.addoption("--videodb-seed", type=int, default=Settings().seed, help="seed of the emulator's generated ids (default %(default)s)")
    group.addoption("--videodb-clock", choices=CLOCK_MODES, default="real", help="each test's clock: real, or virtual (frozen)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "videodb(fixtures=None, seed=None, clock=None): run this test against an emulator with these settings"
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
    return "sk-test-" + hashlib.blake2b(node_id.encode(), digest_size=8).hexdigest()


@pytest.fixture
def videodb_mock(request: pytest.FixtureRequest, videodb_emulator: EmulatorServer, _videodb_servers: _Servers) -> VideoDBMock:
    """A fresh namespace for this test: its own key, jobs, clock, journal and overrides."""
    marker = request.node.get_closest_marker("videodb")
    settings = dict(marker.kwargs) if marker else {}
    unknown = set(settings) - {"fixtures", "seed", "clock"}
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.videodb got unknown settings: {', '.join(sorted(unknown))}")
    server = videodb_emulator
    if "fixtures" in settings or "seed" in settings:
        fixtures = _fixtures_path(settings["fixtures"]) if "fixtures" in settings else videodb_emulator.fixtures
        server = _videodb_servers.get(fixtures, int(settings.get("seed", videodb_emulator.seed)))
    clock = settings.get("clock", request.config.option.videodb_clock)
    if clock not in CLOCK_MODES:
        raise pytest.UsageError(f"@pytest.mark.videodb(clock=...) must be one of {CLOCK_MODES}, got {clock!r}")

    key = _namespace_key(request.node.nodeid)
    namespace = server.control.namespace(key)
    namespace.reset()
    if clock == "virtual":
        namespace.clock.freeze()
    return VideoDBMock(server.url, key, namespace, server)


@pytest.fixture
def videodb_callback_receiver() -> Iterator[CallbackReceiver]:
    """Collects the emulator's callback deliveries; give its ``url`` as a clip's ``callback_url``."""
    with CallbackReceiver() as receiver:
        yield receiver
