"""Run every benchmark, side by side, and write one markdown table.

    python -m bench [--quick] [--repeats 3] [--apps typed,psdk-nodeflate,psdk,bare] [--update-readme]

Apps under test (``bench/apps/``), each its own process on a loopback port; each column
says whether permessage-deflate was negotiated (the driver offers it as jambonz does,
except to the like-for-like ``psdk-nodeflate`` column):

* ``typed``: this project (jambonz-typed) with its defaults (no deflate; uvloop when
  installed, as ``jambonz_runtime.run`` does), run from ``src/`` with this interpreter;
  ``typed-asyncio-loop``: the same on asyncio's own loop;
* ``psdk-nodeflate`` and ``psdk``: ``jambonz-python-sdk`` from PyPI, in its own venv
  ``bench/.venvs/psdk`` (pydantic pinned to this venv's version, so the comparison is
  not a pydantic one), like for like (no deflate offered) and with its defaults (it
  accepts the deflate offered);
* ``node``: ``@jambonz/sdk`` from npm, installed with ``npm install --prefix bench/.node``;
* ``bare``: a bare ``websockets`` server that parses and answers the JSON by hand (the
  floor of the library this project builds on), run with the same compression setting
  as ``typed``'s default;
* ``typed-deflate``, ``typed-asyncio`` (``--tradeoffs``): this project with
  permessage-deflate accepted, and on websockets' asyncio server instead of the direct
  transport: the trade-offs of those defaults.

The competitors are installed on first use (network needed once; ``--no-install`` to
skip apps that are missing). ``bench/.venvs``, ``bench/.node`` and ``bench/results``
are git-ignored.

Per repeat and app (apps interleaved within each repeat, their order rotated from one
repeat to the next, so drift hits all alike): start the app pinned to the first core
and time it to accepting a websocket and to its first ``session:new`` ack; run the
driver (``bench/driver.py``, pinned to the other cores, one forked process per core
for the echo and tts points) through warm-up, idle (RSS with 500 open calls), echo at
concurrency 1, 50 and 500, and tts; stop the app. Import time is measured in fresh
processes. Each figure is the median over repeats with min-max; ratios are taken per
repeat between apps of that repeat, then their median.

Why CPU time per call is the headline: on a 2-core machine shared with other work, wall
clock figures (calls/s, latency) move with the load; the CPU time an app spends per
call moves much less. The driver reports its own CPU as a share of the cores it has: a
point where it used more than 85 % is marked as driver-bound.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

if __package__ in (None, ""):  # ``python bench/run.py``: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.driver import DriverError, Payloads, open_conn

__all__ = ["APPS", "App", "Settings", "main", "render", "run_all"]

BENCH: Final = Path(__file__).resolve().parent
ROOT: Final = BENCH.parent
VENVS: Final = BENCH / ".venvs"
NODE_DIR: Final = BENCH / ".node"
RESULTS: Final = BENCH / "results"
PSDK_VERSION: Final = "0.4.0"
NODE_SDK_VERSION: Final = "0.10.1"
DRIVER_BOUND: Final = 0.85


def _psdk_python() -> Path:
    return VENVS / "psdk" / "bin" / "python"


def _env_with_src() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")) if p
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass(frozen=True)
class App:
    """One app under test."""

    key: str
    label: str
    command: Callable[[int], list[str]]
    """The command that serves the app on a port."""
    import_probe: list[str] | None
    """A command that prints the milliseconds its SDK import took."""
    env: Callable[[], dict[str, str]] = _env_with_src
    install: Callable[[], None] | None = None
    available: Callable[[], bool] = lambda: True
    max_concurrency: int | None = None
    """Cap on concurrent calls (scenarios above it are skipped, with a note)."""
    scenarios: frozenset[str] | None = None
    """Only these scenarios (``None``: all)."""
    note: str = ""
    offer_deflate: bool = True
    """Whether the driver offers permessage-deflate (as jambonz does); ``False`` for the
    like-for-like column of an SDK that would accept it."""


_PY_PROBE = "import time; t0 = time.perf_counter(); {stmt}; print((time.perf_counter() - t0) * 1e3)"
_NODE_PROBE = (
    "const t = process.hrtime.bigint(); "
    "import('@jambonz/sdk/websocket').then(() => "
    "console.log(Number(process.hrtime.bigint() - t) / 1e6))"
)


def _install_psdk() -> None:
    venv = VENVS / "psdk"
    if not _psdk_python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    import pydantic  # the same pydantic as this project, so that is not what differs

    subprocess.run(
        [
            str(_psdk_python()),
            "-m",
            "pip",
            "install",
            "-q",
            f"jambonz-python-sdk=={PSDK_VERSION}",
            f"pydantic=={pydantic.VERSION}",
        ],
        check=True,
    )


def _install_node() -> None:
    if shutil.which("npm") is None:
        raise RuntimeError("npm not found")
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(NODE_DIR),
            f"@jambonz/sdk@{NODE_SDK_VERSION}",
        ],
        check=True,
        capture_output=True,
    )


def _node_app() -> Path:
    # Copied next to its node_modules: ESM resolves packages from the file's folder.
    target = NODE_DIR / "app.mjs"
    shutil.copyfile(BENCH / "apps" / "node_app.mjs", target)
    return target


def _node_available() -> bool:
    return (
        shutil.which("node") is not None
        and (NODE_DIR / "node_modules" / "@jambonz" / "sdk" / "package.json").exists()
    )


APPS: Final[dict[str, App]] = {
    app.key: app
    for app in (
        App(
            "typed",
            "jambonz-typed",
            lambda port: [sys.executable, str(BENCH / "apps" / "typed_app.py"), f"--port={port}"],
            [sys.executable, "-c", _PY_PROBE.format(stmt="import jambonz_runtime")],
        ),
        App(
            "psdk",
            f"jambonz-python-sdk {PSDK_VERSION}",
            lambda port: [
                str(_psdk_python()),
                str(BENCH / "apps" / "psdk_app.py"),
                f"--port={port}",
            ],
            [
                str(_psdk_python()),
                "-c",
                _PY_PROBE.format(stmt="import jambonz_sdk.websocket"),
            ],
            env=lambda: {k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            install=_install_psdk,
            available=lambda: _psdk_python().exists(),
        ),
        App(
            "psdk-nodeflate",
            f"jambonz-python-sdk {PSDK_VERSION}, no deflate",
            lambda port: [
                str(_psdk_python()),
                str(BENCH / "apps" / "psdk_app.py"),
                f"--port={port}",
            ],
            [
                str(_psdk_python()),
                "-c",
                _PY_PROBE.format(stmt="import jambonz_sdk.websocket"),
            ],
            env=lambda: {k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            install=_install_psdk,
            available=lambda: _psdk_python().exists(),
            offer_deflate=False,
        ),
        App(
            "node",
            f"@jambonz/sdk {NODE_SDK_VERSION}",
            lambda port: ["node", str(_node_app()), "--port", str(port)],
            ["node", "--input-type=module", "-e", _NODE_PROBE],
            env=lambda: dict(os.environ),
            install=_install_node,
            available=_node_available,
            max_concurrency=50,
            note=(
                "builds a new AJV validator (compiling all of @jambonz/schema) for every "
                "session, so each call costs a few hundred ms of CPU: concurrency 500 is "
                "not run, idle holds 50 calls instead of 500"
            ),
        ),
        App(
            "bare",
            "bare websockets",
            lambda port: [sys.executable, str(BENCH / "apps" / "bare_app.py"), f"--port={port}"],
            [sys.executable, "-c", _PY_PROBE.format(stmt="import websockets.asyncio.server")],
        ),
        App(
            "typed-asyncio",
            "jambonz-typed, asyncio transport",
            lambda port: [
                sys.executable,
                str(BENCH / "apps" / "typed_app.py"),
                f"--port={port}",
                "--transport=asyncio",
            ],
            None,
            scenarios=frozenset({"echo:50", "echo:500", "tts"}),
        ),
        App(
            "typed-asyncio-loop",
            "jambonz-typed, asyncio loop",
            lambda port: [
                sys.executable,
                str(BENCH / "apps" / "typed_app.py"),
                f"--port={port}",
                "--loop=asyncio",
            ],
            None,
            scenarios=frozenset({"echo", "tts"}),
        ),
        App(
            "typed-deflate",
            "jambonz-typed + deflate",
            lambda port: [
                sys.executable,
                str(BENCH / "apps" / "typed_app.py"),
                f"--port={port}",
                "--deflate",
            ],
            None,
            scenarios=frozenset({"startup", "idle", "echo:50"}),
        ),
    )
}
"""Every app, by key."""
DEFAULT_APPS: Final = (
    "typed",
    "typed-asyncio-loop",
    "psdk-nodeflate",
    "psdk",
    "bare",
    "node",
)
"""The main table: this project with its defaults (and on asyncio's loop), the Python SDK
like for like (no deflate) and with its defaults (deflate), bare websockets, the TS SDK."""
TRADEOFF_APPS: Final = ("typed", "typed-deflate", "typed-asyncio", "typed-asyncio-loop", "bare")
"""``--tradeoffs``: this project's defaults against the alternatives they were chosen over."""


@dataclass(frozen=True)
class Settings:
    """Sizes of one run."""

    repeats: int = 3
    warmup: int = 20
    idle_calls: int = 500
    echo: tuple[tuple[int, int, float], ...] = ((1, 400, 3.0), (50, 3000, 4.0), (500, 5000, 5.0))
    """(concurrency, max calls, budget s) per echo point."""
    tts: tuple[int, int, float] = (50, 2000, 4.0)
    import_samples: int = 2
    deflate_offered: bool = True

    @classmethod
    def quick(cls) -> Settings:
        """A smoke run: one repeat, tiny sizes."""
        return cls(
            repeats=1,
            warmup=4,
            idle_calls=50,
            echo=((1, 20, 0.5), (50, 100, 0.5), (500, 500, 0.5)),
            tts=(10, 40, 0.5),
            import_samples=1,
        )


# ---------------------------------------------------------------------------
# running one app
# ---------------------------------------------------------------------------


def cores() -> tuple[frozenset[int], frozenset[int]]:
    """CPU cores for the app and for the driver: the first one for the app, the rest for
    the driver (the driver forks one process per core it gets); both empty when fewer
    than two cores are available (nothing is pinned then)."""
    if not hasattr(os, "sched_getaffinity"):
        return frozenset(), frozenset()
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return frozenset(), frozenset()
    return frozenset(available[:1]), frozenset(available[1:])


def _pin(cpus: frozenset[int]) -> Callable[[], None] | None:
    if not cpus:
        return None

    def pin() -> None:  # runs in the child, before exec
        os.sched_setaffinity(0, cpus)

    return pin


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _probe_startup(port: int, deadline: float) -> tuple[float, float]:
    """Seconds until a websocket handshake succeeds, and until the first ack arrives."""
    t0 = time.perf_counter()
    url = f"ws://127.0.0.1:{port}/echo"
    while True:
        try:
            conn = await open_conn(url, deflate=False, timeout=2.0)
            break
        except (OSError, asyncio.TimeoutError, DriverError) as exc:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"app did not accept on port {port}: {exc}") from None
            await asyncio.sleep(0.002)
    accepted = time.perf_counter() - t0
    payloads = Payloads()
    sid = payloads.call_sid()
    msgid = payloads.msgid()
    conn.send(payloads.message("session:new", sid, msgid=msgid))
    await conn.recv(timeout=max(1.0, deadline - time.perf_counter()))
    first_ack = time.perf_counter() - t0
    conn.send(payloads.message("call:status", sid))
    await conn.close(1000)
    return accepted, first_ack


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _plan(app: App, settings: Settings) -> tuple[list[str], list[str]]:
    """The driver plan for ``app`` and the notes on what was left out."""
    plan = [f"warmup:{settings.warmup}"]
    notes: list[str] = []
    wanted = app.scenarios

    def allowed(name: str) -> bool:
        return wanted is None or name in wanted or name.split(":")[0] in wanted

    cap = app.max_concurrency
    if allowed("idle"):
        idle = settings.idle_calls if cap is None else min(cap, settings.idle_calls)
        plan.append(f"idle:{idle}")
    for conc, calls, budget in settings.echo:
        if not allowed(f"echo:{conc}"):
            continue
        if cap is not None and conc > cap:
            notes.append(f"echo c={conc} not run")
            continue
        plan.append(f"echo:{conc}:{calls}:{budget}")
    conc, calls, budget = settings.tts
    if allowed("tts"):
        plan.append(f"tts:{min(conc, cap or conc)}:{calls}:{budget}")
    return plan, notes


def _import_ms(app: App) -> float | None:
    if app.import_probe is None:
        return None
    cwd = NODE_DIR if app.key == "node" else ROOT
    out = subprocess.run(
        app.import_probe, env=app.env(), cwd=cwd, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        return None
    return float(out.stdout.strip().splitlines()[-1])


def run_app(app: App, settings: Settings, log: Callable[[str], None]) -> dict[str, object]:
    """Start ``app``, measure it, stop it; returns the raw figures of this repeat."""
    record: dict[str, object] = {"app": app.key}
    port = _free_port()
    app_cpus, driver_cpus = cores()
    proc = subprocess.Popen(
        app.command(port),
        env=app.env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_pin(app_cpus),  # only sched_setaffinity
    )
    try:
        accepted, first_ack = asyncio.run(_probe_startup(port, time.perf_counter() + 30.0))
        record["startup_s"] = accepted
        record["first_ack_s"] = first_ack
        plan, notes = _plan(app, settings)
        record["notes"] = notes
        log(f"  {app.key}: up in {accepted * 1e3:.0f} ms; driver plan {' '.join(plan)}")
        driver = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.driver",
                "--url",
                f"ws://127.0.0.1:{port}",
                "--pid",
                str(proc.pid),
                "--plan",
                *plan,
                *([] if settings.deflate_offered and app.offer_deflate else ["--no-deflate"]),
            ],
            preexec_fn=_pin(driver_cpus),
            env=_env_with_src(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        if driver.returncode != 0:
            raise RuntimeError(f"driver failed: {driver.stderr[-2000:]}")
        record["scenarios"] = json.loads(driver.stdout)
    finally:
        _stop(proc)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if stderr.strip():
        record["app_stderr"] = stderr[-2000:]
    record["import_ms"] = [
        ms for ms in (_import_ms(app) for _ in range(settings.import_samples)) if ms is not None
    ]
    return record


# ---------------------------------------------------------------------------
# aggregation and rendering
# ---------------------------------------------------------------------------


@dataclass
class Figure:
    """One metric of one app over the repeats."""

    values: list[float] = field(default_factory=list)
    driver_bound: bool = False

    def add(self, value: float | None) -> None:
        """Add one repeat's value (``None``: not measured)."""
        if value is not None:
            self.values.append(value)

    @property
    def median(self) -> float | None:
        """Median over repeats."""
        return statistics.median(self.values) if self.values else None


Metrics = dict[str, dict[str, Figure]]
"""metric -> app -> figure."""


def _scenario(
    record: dict[str, object], name: str, conc: int | None = None
) -> dict[str, object] | None:
    scenarios = record.get("scenarios")
    if not isinstance(scenarios, list):
        return None
    for item in scenarios:
        if isinstance(item, dict) and item.get("scenario") == name:
            if conc is None or item.get("concurrency") == conc:
                return item
    return None


def _num(obj: object, *keys: str) -> float | None:
    for key in keys:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return float(obj) if isinstance(obj, (int, float)) else None


def collect(records: list[dict[str, object]], settings: Settings) -> tuple[Metrics, list[str]]:
    """Turn raw per-repeat records into metric figures."""
    metrics: Metrics = {}

    def put(metric: str, app: str, value: float | None, bound: bool = False) -> None:
        figure = metrics.setdefault(metric, {}).setdefault(app, Figure())
        figure.add(value)
        figure.driver_bound = figure.driver_bound or bound

    for rec in records:
        app = str(rec["app"])
        s = _scenario(rec, "echo")
        if s is not None:
            negotiated = (_num(s, "extra", "deflate_conns") or 0.0) > 0
            put("permessage-deflate (1 = negotiated)", app, 1.0 if negotiated else 0.0)
        put("startup: to accepting (ms)", app, _ms(rec.get("startup_s")))
        put("startup: to first ack (ms)", app, _ms(rec.get("first_ack_s")))
        imports = rec.get("import_ms")
        if isinstance(imports, list) and imports:
            put("import of the SDK (ms)", app, statistics.median(imports))
        for conc, _, _ in settings.echo:
            s = _scenario(rec, "echo", conc)
            if s is None:
                continue
            wall, ok = _num(s, "wall") or 0.0, _num(s, "calls_ok") or 0.0
            bound = _driver_bound(s)
            tag = f"echo c={conc}"
            put(f"{tag}: app CPU per call (ms)", app, _per(s, "app_cpu", ok, 1e3))
            put(f"{tag}: calls/s", app, ok / wall if wall else None, bound)
            put(
                f"{tag}: messages/s",
                app,
                (_num(s, "messages") or 0.0) / wall if wall else None,
                bound,
            )
            for q in ("p50", "p90", "p99"):
                put(f"{tag}: ack {q} (ms)", app, _num(s, "latency_ms", q), bound)
            put(f"{tag}: failed or late (>5 s) calls", app, _failed(s))
            put(f"{tag}: driver CPU (% of its cores)", app, _util(s))
        s = _scenario(rec, "tts")
        if s is not None:
            wall = _num(s, "wall") or 0.0
            ok = _num(s, "calls_ok") or 0.0
            bound = _driver_bound(s)
            put(
                "tts: app tokens/s",
                app,
                (_num(s, "extra", "app_tokens") or 0.0) / wall if wall else None,
                bound,
            )
            put(
                "tts: messages/s (wire)",
                app,
                (_num(s, "messages") or 0.0) / wall if wall else None,
                bound,
            )
            put("tts: app CPU per call (ms)", app, _per(s, "app_cpu", ok, 1e3))
            expected = _num(s, "extra", "chars_expected") or 0.0
            accepted = _num(s, "extra", "chars_accepted") or 0.0
            put("tts: text lost (%)", app, 100.0 * (1 - accepted / expected) if expected else None)
            put("tts: tts:tokens commands per call", app, _per(s, "extra", ok, 1.0, "tts_commands"))
            put("tts: failed calls", app, _failed(s))
        s = _scenario(rec, "idle")
        if s is not None:
            put("idle: RSS before (MiB)", app, _mib(_num(s, "extra", "rss_before")))
            put("idle: RSS with the calls open (MiB)", app, _mib(_num(s, "extra", "rss_open")))
            per = _num(s, "extra", "rss_per_call")
            put("idle: RSS per open call (KiB)", app, per / 1024 if per is not None else None)
            put("idle: calls held open", app, _num(s, "calls_ok"))
    notes: set[str] = set()
    for rec in records:
        found = rec.get("notes")
        if isinstance(found, list):
            notes.update(f"{rec['app']}: {note}" for note in found if isinstance(note, str))
    return metrics, sorted(notes)


def _ms(seconds: object) -> float | None:
    return float(seconds) * 1e3 if isinstance(seconds, (int, float)) else None


def _mib(value: float | None) -> float | None:
    return value / 2**20 if value is not None else None


def _per(
    s: dict[str, object], key: str, ok: float, scale: float, sub: str | None = None
) -> float | None:
    value = _num(s, key, sub) if sub else _num(s, key)
    return value / ok * scale if value is not None and ok else None


def _failed(s: dict[str, object]) -> float:
    return (_num(s, "error_count") or 0.0) + (_num(s, "late_acks") or 0.0)


def _util(s: dict[str, object]) -> float | None:
    """Driver CPU as a share of the cores it may use (its saturation)."""
    wall = _num(s, "wall")
    cpu = _num(s, "driver_cpu")
    driver_cores = _num(s, "driver_cores") or 1.0
    return 100.0 * cpu / wall / driver_cores if wall and cpu is not None else None


def _driver_bound(s: dict[str, object]) -> bool:
    util = _util(s)
    return util is not None and util > 100.0 * DRIVER_BOUND


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(figure: Figure | None) -> str:
    if figure is None or not figure.values:
        return "-"
    text = _fmt(figure.median)
    if len(figure.values) > 1:
        text += f" ({_fmt(min(figure.values))}-{_fmt(max(figure.values))})"
    return text + (" †" if figure.driver_bound else "")


def _deflate_cell(figure: Figure | None) -> str:
    if figure is None or not figure.values:
        return "-"
    return "on" if max(figure.values) > 0 else "off"


def _ratio_figure(
    records: list[dict[str, object]], metric: str, a: str, b: str, metrics_by_repeat: list[Metrics]
) -> Figure:
    figure = Figure()
    for metrics in metrics_by_repeat:
        fa = metrics.get(metric, {}).get(a)
        fb = metrics.get(metric, {}).get(b)
        if fa and fb and fa.median is not None and fb.median:
            figure.add(fa.median / fb.median)
    return figure


@dataclass(frozen=True)
class Target:
    """One target of issue 18: ``metric`` of typed vs ``other`` (``None``: an absolute)."""

    text: str
    metric: str
    other: str | None
    limit: float
    higher_is_better: bool = False


TARGETS: Final = (
    *(
        Target(
            f"app CPU per echo call, c={c}, <= 0.9x jambonz-python-sdk like for like (no deflate)",
            f"echo c={c}: app CPU per call (ms)",
            "psdk-nodeflate",
            0.9,
        )
        for c in (50, 500)
    ),
    *(
        Target(
            f"app CPU per echo call, c={c}, <= 0.7x jambonz-python-sdk with its defaults (deflate)",
            f"echo c={c}: app CPU per call (ms)",
            "psdk",
            0.7,
        )
        for c in (50, 500)
    ),
    *(
        Target(
            f"app CPU per echo call, c={c}, <= 1.0x bare websockets (no validation)",
            f"echo c={c}: app CPU per call (ms)",
            "bare",
            1.0,
        )
        for c in (50, 500)
    ),
    *(
        Target(
            f"ack p99 at c={c} <= jambonz-python-sdk's ({label})",
            f"echo c={c}: ack p99 (ms)",
            other,
            1.0,
        )
        for c in (50, 500)
        for other, label in (("psdk-nodeflate", "no deflate"), ("psdk", "defaults"))
    ),
    Target(
        "tts tokens/s >= jambonz-python-sdk's (backpressure honoured, no text lost)",
        "tts: app tokens/s",
        "psdk-nodeflate",
        1.0,
        True,
    ),
    Target(
        "RSS per open call <= 0.8x jambonz-python-sdk like for like",
        "idle: RSS per open call (KiB)",
        "psdk-nodeflate",
        0.8,
    ),
    Target(
        "startup (to accepting) <= jambonz-python-sdk's",
        "startup: to accepting (ms)",
        "psdk-nodeflate",
        1.0,
    ),
    Target("import jambonz_runtime <= 150 ms", "import of the SDK (ms)", None, 150.0),
)


def render(
    records: list[dict[str, object]],
    settings: Settings,
    apps: Sequence[str],
    machine: dict[str, str],
) -> str:
    """The markdown report of one run."""
    metrics, notes = collect(records, settings)
    repeats = sorted({int(str(r.get("repeat", 0))) for r in records})
    by_repeat = [
        collect([r for r in records if r.get("repeat") == n], settings)[0] for n in repeats
    ]
    labels = {key: APPS[key].label for key in apps}
    lines = [
        f"Run {machine['date']} on {machine['machine']}; {machine['python']}; "
        f"{machine['versions']}. {machine.get('pinning', 'not pinned')}. "
        f"{settings.repeats} repeat(s), apps interleaved (order rotated per repeat); "
        "median (min-max) over repeats; † = the driver used more than 85 % of the cores "
        "it had (a driver-bound point: its calls/s and latency measure the driver too). "
        "The driver offers permessage-deflate as jambonz does, except to the "
        '"no deflate" column; the first row says whether it was negotiated.',
        "",
        "| metric | " + " | ".join(labels[k] for k in apps) + " |",
        "|---|" + "---|" * len(apps),
    ]
    for metric, per_app in metrics.items():
        if all(per_app.get(k) is None or not per_app[k].values for k in apps):
            continue
        if metric.startswith("permessage-deflate"):
            cells = [_deflate_cell(per_app.get(k)) for k in apps]
            lines.append("| permessage-deflate | " + " | ".join(cells) + " |")
            continue
        lines.append(f"| {metric} | " + " | ".join(_cell(per_app.get(k)) for k in apps) + " |")
    lines += ["", "Targets (jambonz-typed; ratios taken per repeat, then the median):", ""]
    lines += ["| target | measured | met |", "|---|---|---|"]
    for target in TARGETS:
        if "typed" not in apps or (target.other is not None and target.other not in apps):
            continue
        if target.other is None:
            figure = metrics.get(target.metric, {}).get("typed")
            value = figure.median if figure else None
            shown = f"{_cell(figure)} ms"
        else:
            figure = _ratio_figure(records, target.metric, "typed", target.other, by_repeat)
            value = figure.median
            shown = f"{_cell(figure)}x"
        if value is None:
            verdict = "not measured"
        elif target.higher_is_better:
            verdict = "yes" if value >= target.limit else "**no**"
        else:
            verdict = "yes" if value <= target.limit else "**no**"
        lines.append(f"| {target.text} | {shown} | {verdict} |")
    others = [k for k in apps if k != "typed"]
    if "typed" in apps and others:
        lines += ["", "jambonz-typed ÷ other app, per repeat then median:", ""]
        lines += ["| metric | " + " | ".join(labels[k] for k in others) + " |"]
        lines += ["|---|" + "---|" * len(others)]
        for metric in (
            "echo c=1: app CPU per call (ms)",
            "echo c=50: app CPU per call (ms)",
            "echo c=500: app CPU per call (ms)",
            "echo c=50: calls/s",
            "echo c=50: ack p99 (ms)",
            "echo c=500: ack p99 (ms)",
            "tts: app tokens/s",
            "tts: app CPU per call (ms)",
            "idle: RSS per open call (KiB)",
            "startup: to accepting (ms)",
            "startup: to first ack (ms)",
        ):
            cells = [_cell(_ratio_figure(records, metric, "typed", k, by_repeat)) for k in others]
            lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    if notes:
        lines += ["", "Not run: " + "; ".join(notes) + "."]
    for key in apps:
        if APPS[key].note:
            lines.append(f"{APPS[key].label}: {APPS[key].note}.")
    return "\n".join(lines) + "\n"


def machine_info() -> dict[str, str]:
    """Date, CPU, Python and library versions for the report header."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import pydantic
    import websockets.version

    node = "no node"
    if shutil.which("node"):
        node = (
            "node "
            + subprocess.run(
                ["node", "--version"], capture_output=True, text=True, check=False
            ).stdout.strip()
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    app_cpus, driver_cpus = cores()
    pinning = (
        f"app pinned to core {','.join(map(str, sorted(app_cpus)))}, driver to core(s) "
        f"{','.join(map(str, sorted(driver_cpus)))} ({len(driver_cpus)} process(es))"
        if app_cpus
        else "not pinned (fewer than 2 cores)"
    )
    return {
        "pinning": pinning,
        "date": datetime.date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores ({cpu}), {platform.system()}, load {load:.1f} at start",
        "python": f"Python {platform.python_version()}",
        "versions": f"pydantic {pydantic.VERSION}, websockets {websockets.version.version}, {node}",
    }


def run_all(
    apps: Sequence[str], settings: Settings, log: Callable[[str], None]
) -> list[dict[str, object]]:
    """Every repeat of every app, interleaved."""
    records: list[dict[str, object]] = []
    for repeat in range(1, settings.repeats + 1):
        log(f"repeat {repeat}/{settings.repeats}")
        # Interleaved, and rotated so that no app always runs first (or last) in a repeat.
        shift = (repeat - 1) % len(apps) if apps else 0
        for key in [*apps[shift:], *apps[:shift]]:
            record = run_app(APPS[key], settings, log)
            record["repeat"] = repeat
            records.append(record)
    return records


def _update_readme(report: str, command: str, block: str) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start_marker = f"<!-- bench:{block}:start -->"
    end_marker = f"<!-- bench:{block}:end -->"
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        raise RuntimeError(f"README.md has no {start_marker} ... {end_marker} block")
    new = f"{start_marker}\n`{command}`:\n\n{report}{end_marker}"
    readme.write_text(text[:start] + new + text[end + len(end_marker) :], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 repeat, tiny sizes")
    parser.add_argument("--repeats", type=int, help="repeats per app (default 3)")
    parser.add_argument(
        "--apps", default=",".join(DEFAULT_APPS), help=f"comma list of {', '.join(APPS)}"
    )
    parser.add_argument(
        "--tradeoffs",
        action="store_true",
        help=f"run {', '.join(TRADEOFF_APPS)} instead (deflate, transport, uvloop)",
    )
    parser.add_argument("--no-install", action="store_true", help="skip missing competitors")
    parser.add_argument("--no-deflate", action="store_true", help="driver offers no deflate")
    parser.add_argument("--update-readme", action="store_true", help="put the table in README.md")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.md")
    args = parser.parse_args(argv)

    settings = Settings.quick() if args.quick else Settings()
    if args.repeats:
        settings = Settings(**{**vars(settings), "repeats": args.repeats})
    if args.no_deflate:
        settings = Settings(**{**vars(settings), "deflate_offered": False})

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    apps: list[str] = []
    chosen = ",".join(TRADEOFF_APPS) if args.tradeoffs else args.apps
    for key in (k.strip() for k in chosen.split(",") if k.strip()):
        if key not in APPS:
            parser.error(f"unknown app {key!r}; choose from {', '.join(APPS)}")
        app = APPS[key]
        if not app.available() and app.install is not None and not args.no_install:
            log(f"installing {app.label} ...")
            try:
                app.install()
            except (OSError, subprocess.CalledProcessError, RuntimeError) as exc:
                log(f"  cannot install {app.label}: {exc}")
        if not app.available():
            log(f"skipping {app.label}: not installed")
            continue
        apps.append(key)
    machine = machine_info()
    started = time.perf_counter()
    records = run_all(apps, settings, log)
    report = render(records, settings, apps, machine)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    args.output.with_suffix(".json").write_text(
        json.dumps({"machine": machine, "records": records}, indent=1), encoding="utf-8"
    )
    command = "python -m bench" + (" --quick" if args.quick else "")
    if args.repeats is not None:
        command += f" --repeats {args.repeats}"
    if args.tradeoffs:
        command += " --tradeoffs"
    if args.update_readme:
        _update_readme(report, command, "tradeoffs" if args.tradeoffs else "main")
    print(report)
    log(f"done in {time.perf_counter() - started:.0f} s; wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
