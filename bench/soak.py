"""Soak: many calls, some dropped abruptly mid-call, every ack and the call state checked.

``python -m bench.soak`` starts the app under test (``bench/apps/hostile_app.py``) in
its own process on 127.0.0.1 and plays jambonz for ``--calls`` calls at a concurrency:
each call sends ``session:new`` and 3-8 ``verb:hook``s to ``/count`` (a counter kept in
``session.state``; each answer says ``<digits>:<n>``), sometimes two hooks in flight at
once. About ``--drop`` of the calls lose their socket abruptly (TCP reset, no close
frame) at a random point, half of them with a slow hook in flight, then reconnect as
jambonz does (``session:reconnect`` on a new socket) and carry on. Counted:

* **lost**: an ack the live socket never delivered (within 5 s);
* **crossed**: an ack whose answer belongs to another hook (or another call);
* **duplicate**: a msgid acked twice; **unknown**: an ack to a msgid never sent;
* **state lost**: after a reconnect, the counter did not carry on (it may count the hook
  that was in flight when the socket dropped, or not, if TCP discarded it).

A hook in flight on a dropped socket cannot be answered (the socket is gone); those are
reported as ``in flight at drop``, not as lost.

    python -m bench.soak --calls 1000 --drop 0.1 --concurrency 50 --seed 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass

from bench.hostile import RawSocket, ServerProcess

__all__ = ["SoakReport", "main", "run_soak"]

ACK_TIMEOUT = 5.0


@dataclass
class SoakReport:
    """What the soak counted (see the module docstring)."""

    seed: int
    calls: int = 0
    calls_ok: int = 0
    dropped: int = 0
    dropped_in_flight: int = 0
    reconnected: int = 0
    acks_expected: int = 0
    acks_ok: int = 0
    lost: int = 0
    crossed: int = 0
    duplicate: int = 0
    unknown: int = 0
    state_lost: int = 0
    seconds: float = 0.0
    alive: bool = True
    tracebacks: int = 0
    rss_start: int = 0
    rss_end: int = 0

    @property
    def failures(self) -> list[str]:
        """The targets missed (empty: all held)."""
        out = []
        if not self.alive:
            out.append("the app died")
        if self.tracebacks:
            out.append(f"{self.tracebacks} traceback(s) in the log")
        for name in ("lost", "crossed", "duplicate", "unknown", "state_lost"):
            if getattr(self, name):
                out.append(f"{getattr(self, name)} {name.replace('_', ' ')}")
        if self.calls_ok != self.calls:
            out.append(f"{self.calls - self.calls_ok} call(s) failed")
        return out

    def render(self) -> str:
        """Plain text for people (and the README)."""
        mib = 1 << 20
        return "\n".join(
            [
                f"soak: seed {self.seed}, {self.calls} calls in {self.seconds:.0f} s, {self.calls_ok} completed",
                f"dropped abruptly: {self.dropped} ({self.dropped_in_flight} with a hook in flight), reconnected: {self.reconnected}",
                f"acks: {self.acks_ok} of {self.acks_expected} ok; lost {self.lost}, crossed {self.crossed}, "
                f"duplicate {self.duplicate}, unknown msgid {self.unknown}; state lost after reconnect {self.state_lost}",
                f"app alive: {'yes' if self.alive else 'NO'}; tracebacks: {self.tracebacks}; "
                f"RSS start {self.rss_start / mib:.1f} MiB, end {self.rss_end / mib:.1f} MiB",
                "targets: "
                + ("all held" if not self.failures else "MISSED: " + "; ".join(self.failures)),
            ]
        )


class _Call:
    """One call's socket(s) and the checks on every ack."""

    def __init__(self, port: int, sid: str, report: SoakReport) -> None:
        self.port = port
        self.sid = sid
        self.report = report
        self.sock: RawSocket | None = None
        self.sent: dict[str, str] = {}
        """msgid -> the answer text expected (``""``: any verbs) on the current socket."""
        self.seen: Counter[str] = Counter()
        self.checked = 0
        self.n = 0

    async def connect(self) -> None:
        self.sock = await RawSocket.open(self.port, "/")
        self.sent, self.seen, self.checked = {}, Counter(), 0

    def _check(self, acks: list[tuple[str, object]], seen: Counter[str]) -> None:
        for msgid, data in acks:
            seen[msgid] += 1
            if seen[msgid] > 1:
                self.report.duplicate += 1
            elif msgid not in self.sent:
                self.report.unknown += 1
            else:
                want = self.sent[msgid]
                verbs = data if isinstance(data, list) else []
                text = verbs[0].get("text") if verbs and isinstance(verbs[0], dict) else None
                if want and text != want:
                    self.report.crossed += 1

    async def exchange(self, messages: list[tuple[str, dict[str, object], str]]) -> None:
        """Send ``(msgid, envelope, expected text)`` together; wait for every ack."""
        assert self.sock is not None
        for msgid, env, want in messages:
            self.sent[msgid] = want
            self.sock.send_json(env)
            self.report.acks_expected += 1
        before = len(self.sock.acks)
        for msgid, _, _ in messages:
            if any(m == msgid for m, _ in self.sock.acks[before:]):
                continue
            if not await self.sock.read_until(msgid, ACK_TIMEOUT):
                self.report.lost += 1
        got = {m for m, _ in self.sock.acks[before:]}
        self.report.acks_ok += sum(1 for msgid, _, _ in messages if msgid in got)

    def hook(self, i: int, slow: bool = False) -> tuple[str, dict[str, object], str]:
        digits = f"{self.sid}-{i}" + ("~" if slow else "")
        self.n += 1
        msgid = f"{self.sid}-h{i}"
        data = {"reason": "dtmfDetected", "digits": digits}
        env: dict[str, object] = {
            "type": "verb:hook",
            "msgid": msgid,
            "call_sid": self.sid,
            "hook": "/count",
            "data": data,
        }
        return msgid, env, f"{digits}:{self.n}"

    def check_acks(self) -> None:
        """Check the acks this socket delivered since the last check."""
        assert self.sock is not None
        new, self.checked = self.sock.acks[self.checked :], len(self.sock.acks)
        self._check(new, self.seen)


async def _one_call(
    port: int, index: int, rng: random.Random, drop: float, report: SoakReport
) -> None:
    sid = f"soak-{index:05d}"
    call = _Call(port, sid, report)
    hooks = rng.randint(3, 8)
    drop_at = rng.randrange(hooks) if rng.random() < drop else None
    in_flight = rng.random() < 0.5
    try:
        await call.connect()
        new: dict[str, object] = {
            "type": "session:new",
            "msgid": f"{sid}-new",
            "call_sid": sid,
            "data": {"call_sid": sid},
        }
        await call.exchange([(f"{sid}-new", new, "")])
        i = 0
        while i < hooks:
            if i == drop_at:
                assert call.sock is not None
                report.dropped += 1
                if in_flight:
                    msgid, env, _ = call.hook(i, slow=True)
                    call.sock.send_json(env)  # never answered: the socket goes now
                    report.dropped_in_flight += 1
                    i += 1
                call.check_acks()
                call.sock.abort()
                await call.connect()
                rc = f"{sid}-rc"
                env = {
                    "type": "session:reconnect",
                    "msgid": rc,
                    "call_sid": sid,
                    "data": {"call_sid": sid},
                }
                await call.exchange([(rc, env, "")])
                report.reconnected += 1
                if i >= hooks:
                    break
                msgid, env, _ = call.hook(i)
                await call.exchange([(msgid, env, "")])
                text = next((d for m, d in call.sock.acks if m == msgid), None)
                said = text[0].get("text") if isinstance(text, list) and text else ""
                got_n = int(str(said).rsplit(":", 1)[-1]) if ":" in str(said) else -1
                # the in-flight hook may or may not have reached the app before the reset
                allowed = {call.n, call.n - 1} if in_flight else {call.n}
                if got_n not in allowed:
                    report.state_lost += 1
                call.n = got_n if got_n > 0 else call.n
                i += 1
                continue
            if i + 1 < hooks and i + 1 != drop_at and rng.random() < 0.3:
                await call.exchange([call.hook(i), call.hook(i + 1, slow=True)])  # two in flight
                i += 2
            else:
                await call.exchange([call.hook(i, slow=rng.random() < 0.1)])
                i += 1
        status = {
            "type": "call:status",
            "msgid": f"{sid}-s",
            "call_sid": sid,
            "data": {"call_sid": sid, "call_status": "completed"},
        }
        assert call.sock is not None
        call.sock.send_json(status)
        await call.sock.close()
        call.check_acks()
        report.calls_ok += 1
    except (ConnectionError, OSError, asyncio.TimeoutError, ValueError) as exc:
        print(f"{sid}: {exc!r}", file=sys.stderr)
        if call.sock is not None:
            call.sock.abort()


async def run_soak(
    *, seed: int = 1, calls: int = 1000, drop: float = 0.1, concurrency: int = 50
) -> SoakReport:
    """Run the soak against a fresh server process; returns the report."""
    rng = random.Random(seed)
    report = SoakReport(seed=seed, calls=calls)
    server = ServerProcess()
    await server.start()
    try:
        report.rss_start = server.rss
        started = time.monotonic()
        queue = iter(range(calls))

        async def worker() -> None:
            for index in queue:
                await _one_call(server.port, index, random.Random(rng.random()), drop, report)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        report.seconds = time.monotonic() - started
    finally:
        report.alive = server.alive
        report.rss_end = server.rss
        report.tracebacks = server.tracebacks()
        server.stop()
    return report


def main(argv: list[str] | None = None) -> int:
    """Command line: run, print the report, exit 1 if a target was missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--drop", type=float, default=0.1, help="share of calls dropped abruptly")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--json", help="also write the report as JSON here")
    args = parser.parse_args(argv)
    report = asyncio.run(
        run_soak(seed=args.seed, calls=args.calls, drop=args.drop, concurrency=args.concurrency)
    )
    print(report.render())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(asdict(report) | {"failures": report.failures}, f, indent=2)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
