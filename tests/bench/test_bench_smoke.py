"""Smoke test of the benchmark harness, so it does not rot between benchmark runs.

The load driver (``bench/driver.py``) plays jambonz against this project's bench app
(``bench/apps/typed_app.py``) served in-process on loopback, for a couple of calls of
every scenario at concurrency 1; the report renderer gets the figures. No timing is
asserted (the suite runs on busy machines); only that the protocol exchange completes
and the numbers are there. Competitor SDKs are never run here (``python -m bench``).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bench.apps.typed_app import TOKENS
from bench.apps.typed_app import app as typed_app
from bench.driver import TOKENS as DRIVER_TOKENS
from bench.driver import ScenarioResult, run_echo, run_idle, run_tts
from bench.run import Settings, render
from jambonz_runtime import JambonzServer

HAS_PROC = Path(f"/proc/{os.getpid()}/stat").exists()


async def _drive() -> list[ScenarioResult]:
    pid = os.getpid() if HAS_PROC else None
    async with JambonzServer(typed_app, host="127.0.0.1", port=0) as server:
        return [
            await run_echo(server.url, 1, 2, pid=pid),
            await run_tts(server.url, 1, 1, pid=pid),
            await run_idle(server.url, 2, pid=pid, settle=0.0),
        ]


def test_apps_stream_the_same_tokens() -> None:
    assert TOKENS == list(DRIVER_TOKENS)


def test_driver_runs_every_scenario_against_the_typed_app() -> None:
    echo, tts, idle = asyncio.run(_drive())
    for result in (echo, tts, idle):
        assert result.errors == []
        assert result.error_count == 0
        assert result.calls_ok == result.calls
        assert result.latency_ms["p50"] > 0
    # echo: session:new + 3 verb:hooks acked (4 acks), call:status, per call
    assert echo.messages == 2 * (5 + 4)
    assert tts.extra["chars_accepted"] == tts.extra["chars_expected"] == 1200
    assert tts.extra["tts_full"] >= 1  # the 1,000-character buffer filled and resumed
    if HAS_PROC:
        assert idle.extra["rss_open"] > 0


def test_report_renders_targets_and_ratios() -> None:
    echo, tts, idle = asyncio.run(_drive())
    settings = Settings(repeats=1, echo=((50, 2, 1.0),))
    records: list[dict[str, object]] = []
    for key, scale in (("typed", 1.0), ("bare", 0.5)):
        scenarios = []
        for result in (echo, tts, idle):
            item = result.to_json()
            item["app_cpu"] = 0.01 * scale
            if item["scenario"] == "echo":
                item["concurrency"] = 50  # the point the CPU targets are read at
            scenarios.append(item)
        records.append(
            {
                "app": key,
                "repeat": 1,
                "startup_s": 0.2 * scale,
                "first_ack_s": 0.3 * scale,
                "import_ms": [40.0],
                "scenarios": scenarios,
                "notes": [],
            }
        )
    machine = {"date": "2026-01-01", "machine": "test", "python": "Python", "versions": "v"}
    report = render(records, settings, ["typed", "bare"], machine)
    assert "| echo c=50: app CPU per call (ms) | 5.00 | 2.50 |" in report
    assert (
        "| app CPU per echo call, c=50, <= 1.0x bare websockets (no validation) | 2.00x | **no** |"
        in report
    )
    assert "| permessage-deflate | off | off |" in report
    assert "jambonz-typed ÷ other app" in report


@pytest.mark.parametrize("path", ["psdk_app.py", "node_app.mjs", "bare_app.py"])
def test_competitor_apps_stream_twenty_sixty_character_tokens(path: str) -> None:
    # They are not run here; their token text must still match the driver's count.
    source = (Path(__file__).resolve().parents[2] / "bench" / "apps" / path).read_text()
    assert "of the answer, streamed to jambonz by the app." in source
    assert "60" in source


def test_percall_plays_a_whole_echo_call_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m bench.percall`` (the before/after figure of the performance commits)."""
    from bench import percall

    assert percall.main(["--calls", "20"]) == 0
    out = capsys.readouterr().out
    assert "us of CPU per echo call" in out


async def test_floor_app_answers_the_echo_scenario() -> None:
    """The floor app behind the README's "what any Python app pays" figure still works."""
    from bench.apps import floor_app

    loop = asyncio.get_running_loop()
    server = await loop.create_server(floor_app._Floor, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await run_echo(f"ws://127.0.0.1:{port}", 1, 2, pid=None)
    assert result.errors == []
    assert result.calls_ok == 2
    assert result.messages == 2 * (5 + 4)
