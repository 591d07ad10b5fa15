"""Session-store cost: the echo app with typed state, in memory vs in Redis.

    python -m bench.store [--repeats 3] [--calls 1500] [--resumes 300] [--quick]

Like with like: the same app (``bench/apps/typed_state_app.py``: typed state changed on
every hook, as a real app does), the same driver (``bench/driver.py``, its own process,
no permessage-deflate), the same machine and run; only ``--store`` differs. Variants are
interleaved within each repeat; the app is pinned to one core and the driver to the
other where the OS allows (``sched_setaffinity``). Redis is a real ``redis-server`` on a
free loopback port, started and stopped by this script (Debian package
``redis-server``), with persistence off.

Reported per variant and concurrency (medians over repeats, min-max): calls/s, app CPU
per call (user + system of the app process; Redis's own CPU is listed apart, since on a
real deployment it runs elsewhere), p99 hook latency. Then the resume-from-store
latency: two app processes A and B on one Redis; each call starts on A, answers a hook,
drops abruptly and reconnects to B; the time from B receiving nothing to jambonz (the
bench) holding B's ack of ``session:reconnect``, p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import _env_with_src, _free_port, _probe_startup, _stop, machine_info

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "bench" / "apps" / "typed_state_app.py"


def _pin(pid: int, cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        try:
            os.sched_setaffinity(pid, {cpu})
        except OSError:
            pass


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Redis:
    """A redis-server of our own on a free port (persistence off)."""

    def __init__(self, workdir: str) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("bench.store needs redis-server (apt-get install redis-server)")
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        for _ in range(200):
            line = self.proc.stdout.readline()
            if "Ready to accept connections" in line or not line:
                break
        _pin(self.proc.pid, 0)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _start_app(store: str | None) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    cmd = [sys.executable, str(APP), "--port", str(port)]
    if store:
        cmd += ["--store", store]
    proc = subprocess.Popen(cmd, env=_env_with_src(), stderr=subprocess.DEVNULL)
    _pin(proc.pid, 1)
    asyncio.run(_probe_startup(port, time.perf_counter() + 20))
    return proc, port


def _drive(port: int, pid: int, plan: list[str]) -> list[dict[str, object]]:
    cmd = [sys.executable, "-m", "bench.driver", "--url", f"ws://127.0.0.1:{port}",
           "--pid", str(pid), "--no-deflate", "--plan", *plan]  # fmt: skip
    driver = subprocess.Popen(cmd, env=_env_with_src(), cwd=ROOT, stdout=subprocess.PIPE)
    _pin(driver.pid, 0)
    out, _ = driver.communicate(timeout=900)
    if driver.returncode != 0:
        raise RuntimeError(f"driver failed ({driver.returncode})")
    results: list[dict[str, object]] = json.loads(out)
    return results


async def _resumes(url_a: str, url_b: str, count: int) -> list[float]:
    from jambonz_runtime.testing import Simulator
    from jambonz_types.callbacks import GatherCallback

    seconds: list[float] = []
    async with Simulator(url=url_a, timeout=10) as sim_a, Simulator(url=url_b, timeout=10) as sim_b:
        for _ in range(count):
            call = await sim_a.call(path="/echo")
            await call.expect_ack(call.session_msgid)
            await call.expect_ack(await call.hook("/echo", GatherCallback(digits="1")))
            await call.drop()
            new = await sim_b.connect("/echo", call_sid=call.call_sid)
            started = time.perf_counter()
            msgid = await new.send("session:reconnect", call.call_info)
            await new.expect_ack(msgid)
            seconds.append(time.perf_counter() - started)
            await new.hangup()
            sim_a.calls.clear()
            sim_b.calls.clear()
    return seconds


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _fig(values: list[float], digits: int = 2) -> str:
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--calls", type=int, default=1500, help="calls per echo point")
    parser.add_argument("--resumes", type=int, default=300, help="reconnects measured")
    parser.add_argument("--quick", action="store_true", help="1 repeat, few calls (smoke)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.calls, args.resumes = 1, 100, 20
    info = machine_info()
    points = [50, 500]
    plan = ["echo:20:100"] + [f"echo:{c}:{args.calls}:120" for c in points]  # first: warm-up
    rows: dict[tuple[str, int], dict[str, list[float]]] = {}
    redis_cpu: dict[int, list[float]] = {c: [] for c in points}
    resumes: list[float] = []
    with tempfile.TemporaryDirectory() as workdir:
        redis = Redis(workdir)
        try:
            for repeat in range(args.repeats):
                for variant in ("memory", "redis"):
                    store = redis.url if variant == "redis" else None
                    proc, port = _start_app(store)
                    redis_before = _cpu_seconds(redis.proc.pid)
                    try:
                        results = _drive(port, proc.pid, plan)
                    finally:
                        _stop(proc)
                    redis_total = _cpu_seconds(redis.proc.pid) - redis_before
                    for result in results[1:]:  # the first point is the warm-up
                        conc = int(str(result["concurrency"]))
                        ok = float(str(result["calls_ok"])) or 1.0
                        row = rows.setdefault((variant, conc), {"cps": [], "cpu": [], "p99": []})
                        row["cps"].append(ok / float(str(result["wall"])))
                        row["cpu"].append(float(str(result["app_cpu"])) / ok * 1000)
                        latency = result["latency_ms"]
                        assert isinstance(latency, dict)
                        row["p99"].append(float(latency.get("p99", 0.0)))
                        if variant == "redis":
                            redis_cpu[conc].append(redis_total * 1000 / ok / len(points))
                    print(f"repeat {repeat + 1}/{args.repeats} {variant}: done", file=sys.stderr)
                a, port_a = _start_app(redis.url)
                b, port_b = _start_app(redis.url)
                try:
                    resumes += asyncio.run(
                        _resumes(f"ws://127.0.0.1:{port_a}", f"ws://127.0.0.1:{port_b}",
                                 args.resumes)
                    )  # fmt: skip
                finally:
                    _stop(a)
                    _stop(b)
        finally:
            redis.stop()
    lines = [
        f"Session store cost, echo with typed state (`python -m bench.store"
        f" --repeats {args.repeats} --calls {args.calls} --resumes {args.resumes}`),"
        f" {info['date']}, {info['machine']}, {info['python']}; medians (min-max).",
        "",
        "| store | concurrency | calls/s | app CPU per call (ms) | vs in-memory | hook p99 (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for conc in points:
        mem, red = rows.get(("memory", conc)), rows.get(("redis", conc))
        for variant, row in (("in-memory", mem), ("Redis", red)):
            if row is None:
                continue
            ratio = "1.00"
            if variant == "Redis" and mem is not None:
                pairs = zip(row["cpu"], mem["cpu"], strict=False)
                ratio = _fig([r / m for r, m in pairs])
            lines.append(
                f"| {variant} | {conc} | {_fig(row['cps'], 0)} | {_fig(row['cpu'])} | {ratio} "
                f"| {_fig(row['p99'], 1)} |"
            )
    lines += [
        "",
        "Redis server CPU per call (not in the app's figure): "
        + ", ".join(f"c={c}: {_fig(redis_cpu[c])} ms" for c in points)
        + ".",
        f"Resume from the store (session:reconnect on another process -> its ack),"
        f" {len(resumes)} reconnects: p50 {_pct(resumes, 0.5) * 1000:.2f} ms,"
        f" p99 {_pct(resumes, 0.99) * 1000:.2f} ms.",
    ]
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "store.md").write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
