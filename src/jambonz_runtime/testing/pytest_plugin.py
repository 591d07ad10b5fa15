"""The pytest plugin of jambonz-typed: fixtures that play jambonz against your app.

Installed with the package (a ``pytest11`` entry point), so an app's tests need no
plumbing: name the app once and ask for the fixture::

    # pyproject.toml
    [tool.pytest.ini_options]
    jambonz_app = "my_ivr.app:app"

    # tests/test_app.py
    async def test_greets(jambonz_simulator: Simulator) -> None:
        call = await jambonz_simulator.call("/")
        ack = await call.expect_ack(call.session_msgid)
        assert ack.verb_names == ["say", "gather"]

Fixtures (all function-scoped):

* ``jambonz_app``: the :class:`~jambonz_runtime.App` under test, from the
  ``jambonz_app = "module:attr"`` ini option; override the fixture in a ``conftest.py``
  to build it yourself (e.g. with test settings).
* ``jambonz_simulator``: a :class:`~jambonz_runtime.testing.Simulator` serving
  ``jambonz_app`` on a free loopback port, already running in an ``async def`` test and
  shut down after it (every call and audio socket it opened is closed).
* ``jambonz_audio``: opens a listen/stream audio socket to the app, as jambonz's media
  server does (``await jambonz_audio("/echo")`` -> ``JambonzAudioClient``);
  ``jambonz_vonage`` does the same for a Vonage websocket.
* ``jambonz_webhook``: a :class:`~jambonz_runtime.testing.webhook.WebhookSimulator`
  driving ``jambonz_webhook_app`` in-process (signed requests when that app has a
  secret); ``jambonz_webhook_app`` defaults to ``WebhookApp(jambonz_app)``.

Why the plugin runs ``async def`` tests itself: the simulator lives on an event loop,
and pytest needs a plugin for coroutine tests. A test without an ``asyncio``, ``anyio``
or ``trio`` marker runs in a fresh loop (``asyncio.run``), bounded by the
``jambonz_test_timeout`` ini option (seconds, default 60), with the simulator started
in that same loop; tests marked for another async plugin are left to it.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Protocol, cast

import pytest

from ..app import App
from ..context import CallContext
from ..webhook import WebhookApp
from . import Simulator
from ._audio import JambonzAudioClient, VonageAudioClient
from .webhook import WebhookSimulator

__all__ = [
    "AudioOpener",
    "VonageOpener",
    "jambonz_app",
    "jambonz_audio",
    "jambonz_simulator",
    "jambonz_vonage",
    "jambonz_webhook",
    "jambonz_webhook_app",
    "pytest_addoption",
    "pytest_pyfunc_call",
]

_OTHER_ASYNC_MARKERS = ("asyncio", "anyio", "trio")
_DEFAULT_TIMEOUT = 60.0


class AudioOpener(Protocol):
    """``jambonz_audio``: open a listen/stream audio socket (see ``Simulator.audio``)."""

    def __call__(
        self, path: str = "/", *, sample_rate: int = 8000, mix_type: str = "mono"
    ) -> Awaitable[JambonzAudioClient]: ...


class VonageOpener(Protocol):
    """``jambonz_vonage``: open a Vonage websocket (see ``Simulator.vonage``)."""

    def __call__(
        self, path: str = "/", *, sample_rate: int = 16000
    ) -> Awaitable[VonageAudioClient]: ...


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``jambonz_app`` and ``jambonz_test_timeout`` ini options."""
    parser.addini(
        "jambonz_app",
        "module:attribute of the jambonz_runtime.App the jambonz_* fixtures serve",
        default="",
    )
    parser.addini(
        "jambonz_test_timeout",
        "seconds an async def test run by the jambonz-typed plugin may take",
        default=str(_DEFAULT_TIMEOUT),
    )


def _import_app(spec: str) -> App:
    target, _, attr = spec.partition(":")
    module = importlib.import_module(target)
    obj: object = module
    for part in (attr or "app").split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, App):
        raise pytest.UsageError(f"jambonz_app = {spec!r} is a {type(obj).__name__}, not an App")
    return obj


@pytest.fixture
def jambonz_app(request: pytest.FixtureRequest) -> App:
    """The app under test, from the ``jambonz_app = "module:attr"`` ini option."""
    spec = str(request.config.getini("jambonz_app")).strip()
    if not spec:
        raise pytest.UsageError(
            'set jambonz_app = "module:app" under [tool.pytest.ini_options], or define a '
            "jambonz_app fixture returning your App in conftest.py"
        )
    return _import_app(spec)


@pytest.fixture
def jambonz_simulator(jambonz_app: App, request: pytest.FixtureRequest) -> Simulator:
    """The jambonz side for ``jambonz_app``; started by the plugin in an async test."""
    if not inspect.iscoroutinefunction(getattr(request.node, "obj", None)):
        raise pytest.UsageError(
            f"{request.node.name}: jambonz_simulator runs on the test's event loop; "
            "write the test as `async def`"
        )
    return Simulator(jambonz_app)


@pytest.fixture
def jambonz_audio(jambonz_simulator: Simulator) -> AudioOpener:
    """Open an audio socket to the app: ``client = await jambonz_audio("/echo")``."""

    def open_audio(
        path: str = "/", *, sample_rate: int = 8000, mix_type: str = "mono"
    ) -> Awaitable[JambonzAudioClient]:
        return jambonz_simulator.audio(path, sample_rate=sample_rate, mix_type=mix_type)

    return open_audio


@pytest.fixture
def jambonz_vonage(jambonz_simulator: Simulator) -> VonageOpener:
    """Open a Vonage audio websocket to the app: ``await jambonz_vonage("/vonage")``."""

    def open_vonage(path: str = "/", *, sample_rate: int = 16000) -> Awaitable[VonageAudioClient]:
        return jambonz_simulator.vonage(path, sample_rate=sample_rate)

    return open_vonage


@pytest.fixture
def jambonz_webhook_app(jambonz_app: App) -> WebhookApp:
    """``WebhookApp(jambonz_app)``, unsigned; override it to add a secret or options.

    The app's handlers must take ``CallContext`` (``App[CallContext]``); ``WebhookApp``
    refuses ``Session`` handlers with a ConfigurationError naming them.
    """
    return WebhookApp(cast("App[CallContext]", jambonz_app))


@pytest.fixture
def jambonz_webhook(jambonz_webhook_app: WebhookApp) -> WebhookSimulator:
    """jambonz's HTTP side for the webhook app, signing requests with its first secret."""
    secrets = jambonz_webhook_app._secrets
    return WebhookSimulator(jambonz_webhook_app, secret=secrets[0] if secrets else None)


def _timeout(config: pytest.Config) -> float:
    raw = str(config.getini("jambonz_test_timeout")).strip()
    try:
        return float(raw) if raw else _DEFAULT_TIMEOUT
    except ValueError:
        raise pytest.UsageError(f"jambonz_test_timeout = {raw!r} is not a number") from None


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an ``async def`` test in a fresh event loop, simulators started around it."""
    test: Callable[..., Awaitable[None]] = pyfuncitem.obj
    if not inspect.iscoroutinefunction(test):
        return None
    if any(pyfuncitem.get_closest_marker(name) for name in _OTHER_ASYNC_MARKERS):
        return None  # pytest-asyncio, anyio or trio runs it
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    limit = _timeout(pyfuncitem.config)

    async def run() -> None:
        async with AsyncExitStack() as stack:
            # The jambonz_simulator fixture's Simulator (also behind jambonz_audio).
            for value in {id(v): v for v in pyfuncitem.funcargs.values()}.values():
                if isinstance(value, Simulator):
                    await stack.enter_async_context(value)
            await test(**kwargs)

    asyncio.run(asyncio.wait_for(run(), limit))
    return True
