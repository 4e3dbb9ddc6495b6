"""Shared fixtures: the emulator in-process and behind a real uvicorn, both watched by the contract oracle."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver.app import Settings, create_app
from mockserver.server import ServerThread

from .contract import ContractRecorder, assert_conforms

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-test-key"
AUTH = {"x-access-token": KEY}


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def recorded_app(settings: Settings) -> Iterator[ContractRecorder]:
    """The app wrapped by the recorder; every answer it gave is validated at teardown."""
    recorder = ContractRecorder(create_app(settings))
    yield recorder
    assert_conforms(recorder)


@pytest.fixture
def client(recorded_app: ContractRecorder) -> Iterator[TestClient]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with TestClient(recorded_app, headers=AUTH) as test_client:
            yield test_client


@pytest.fixture
def live_server(recorded_app: ContractRecorder) -> Iterator[ServerThread]:
    """A real uvicorn server on a free loopback port."""
    with ServerThread(recorded_app) as server:
        yield server


@pytest.fixture
def emulator(recorded_app: ContractRecorder):
    return recorded_app.app.state.emulator
