"""The pytest plugin (entry point ``pytest11``): fixtures ``connectwise_mock``,
``connectwise_mock_factory``, ``connectwise_mock_options`` and ``connectwise_env``.

``connectwise_mock`` is one mock per session (started on first use), reset before every test
that names it, so tests see the fixtures and never each other's writes. Its options come from
the command line or the ini file (``connectwise_mock_tls``, ``..._fixtures``, ``..._profile``,
``..._soft``, ``..._populate``, ``..._args``, ``..._bin``), or from a ``connectwise_mock_options`` fixture a
conftest.py overrides. ``connectwise_mock_factory(**options)`` starts other mocks for the
session (another fixture set, TLS beside plain http...).
"""

from __future__ import annotations

import shlex
from dataclasses import fields
from typing import Any, Callable, Iterator

import pytest

from ._mock import ConnectWiseMock, MockOptions

_OPTIONS = {
    # name: (type for addini, help)
    "tls": ("bool", "serve https with a self-signed certificate (CW_CA_CERT names the PEM to trust)"),
    "fixtures": ("string", "a fixture directory (one JSON file per tenant) instead of the built-in set"),
    "profile": ("string", "a profile file (TOML) to apply: connectwise_mock.integration holds its member's keys"),
    "soft": ("bool", "start in soft mode (kept across resets)"),
    "populate": ("bool", "one generated record in every empty collection (--populate; again after every reset)"),
    "args": ("args", "more arguments for the mock-connectwise binary"),
    "bin": ("string", "the mock-connectwise executable (default: MOCK_CONNECTWISE_BIN, this environment, PATH)"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("connectwise_mock", "mock ConnectWise Manage server (mock-connectwise)")
    for name, (kind, help_text) in _OPTIONS.items():
        flag = f"--connectwise-mock-{name}"
        if kind == "bool":
            group.addoption(flag, action="store_true", default=None, help=help_text)
        else:
            group.addoption(flag, default=None, help=help_text + (" (one string, split like a shell)" if kind == "args" else ""))
        parser.addini(f"connectwise_mock_{name}", help_text, type=kind, default=False if kind == "bool" else None)


def options_from_config(config: pytest.Config) -> MockOptions:
    """The options the command line and ini file give (the command line wins)."""

    def value(name: str) -> Any:
        cli = config.getoption(f"--connectwise-mock-{name}")
        return cli if cli is not None else config.getini(f"connectwise_mock_{name}")

    args = value("args")
    if isinstance(args, str):
        args = shlex.split(args)
    return MockOptions(
        tls=bool(value("tls")),
        fixtures=value("fixtures") or None,
        profile=value("profile") or None,
        soft=bool(value("soft")),
        populate=bool(value("populate")),
        args=tuple(args or ()),
        binary=value("bin") or None,
    )


@pytest.fixture(scope="session")
def connectwise_mock_options(pytestconfig: pytest.Config) -> MockOptions:
    """How ``connectwise_mock`` starts; override this fixture in a conftest.py to set options
    in code (``return MockOptions(tls=True, profile="profiles/mine.toml")``)."""
    return options_from_config(pytestconfig)


@pytest.fixture(scope="session")
def connectwise_mock_factory() -> Iterator[Callable[..., ConnectWiseMock]]:
    """Starts a mock with the given :class:`MockOptions` fields; every mock it started is
    stopped when the session ends."""
    started: list[ConnectWiseMock] = []
    known = {f.name for f in fields(MockOptions)}

    def start(options: MockOptions | None = None, **kwargs: Any) -> ConnectWiseMock:
        unknown = set(kwargs) - known
        if unknown:
            raise TypeError(f"unknown mock option(s) {sorted(unknown)}; known: {sorted(known)}")
        mock = ConnectWiseMock(options or MockOptions(**kwargs))
        started.append(mock)
        return mock

    yield start
    for mock in started:
        mock.stop()


@pytest.fixture(scope="session")
def _connectwise_mock_session(
    connectwise_mock_factory: Callable[..., ConnectWiseMock], connectwise_mock_options: MockOptions
) -> ConnectWiseMock:
    return connectwise_mock_factory(connectwise_mock_options)


@pytest.fixture
def connectwise_mock(_connectwise_mock_session: ConnectWiseMock) -> ConnectWiseMock:
    """The session's mock, reset to its fixtures before this test (``POST /__mock/reset``)."""
    _connectwise_mock_session.reset()
    return _connectwise_mock_session


@pytest.fixture
def connectwise_env(connectwise_mock: ConnectWiseMock, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """``connectwise_mock``'s ``CW_*`` settings set in ``os.environ`` for this test (plus
    ``REQUESTS_CA_BUNDLE`` with TLS), for code that reads its configuration from there."""
    for key, value in connectwise_mock.env.items():
        monkeypatch.setenv(key, value)
    if connectwise_mock.ca_cert:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", connectwise_mock.ca_cert)
    return dict(connectwise_mock.env)
