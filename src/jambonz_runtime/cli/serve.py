"""``jambonz-typed serve MODULE:APP``: run an app in production, on one or many processes.

Why processes: one event loop is one core. ``--workers N`` starts N worker processes
on one port, each a full server: on Linux each binds the port with ``SO_REUSEPORT``
(the kernel spreads new connections over them); elsewhere the parent binds and listens
once and the workers accept on the inherited socket (pre-fork). Calls move between
workers (and machines) through the session store (``--store redis://...``): jambonz
reconnects a dropped socket to the same URL, wherever the balancer sends it.

Signals: SIGTERM or SIGINT to the parent is passed to every worker, each drains (see
:func:`jambonz_runtime.serve`), and the parent exits 0 when all did. A single worker
(the default) runs in this process.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
from types import FrameType
from typing import Final

from .._log import show_logs
from ._console import CliError, Console
from .call import load_app

__all__ = ["add_parser", "run"]

_log = logging.getLogger("jambonz_runtime.serve")

REUSE_PORT: Final = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")
"""Whether workers share the port with ``SO_REUSEPORT`` (Linux balances across them)."""


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register ``serve`` on the top-level parser."""
    parser = commands.add_parser(
        "serve",
        parents=parents,
        help="serve an app over jambonz's websocket API (production)",
        description=(
            "Serve MODULE:APP on HOST:PORT: control sockets at the app's paths, "
            "GET /healthz for readiness (503 while draining), GET /metrics with --metrics. "
            "SIGTERM/SIGINT drains: live calls are handed over (hooks in flight answered, "
            "close 1001) so jambonz reconnects to another instance."
        ),
    )
    parser.add_argument("app", metavar="MODULE:APP", help="the app (module:attribute)")
    parser.add_argument("--host", default="0.0.0.0", help="interface (default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=3000, help="TCP port (default 3000)")
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes sharing the port (default 1)"
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        default=os.environ.get("JAMBONZ_SESSION_STORE"),
        help="session store, redis://host:port/db (env JAMBONZ_SESSION_STORE); "
        "without one, calls cannot move between processes",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=25.0,
        help="seconds a drain may take (default 25, under Kubernetes' 30 s grace period)",
    )
    parser.add_argument(
        "--drain-delay",
        type=float,
        default=0.0,
        help="seconds /healthz answers 503 before the listener closes (default 0)",
    )
    parser.add_argument(
        "--metrics", action="store_true", help="serve Prometheus metrics on GET /metrics"
    )
    parser.add_argument(
        "--pin-url",
        metavar="URL",
        default=os.environ.get("JAMBONZ_PIN_URL"),
        help="pin calls to this instance: its own URL prefix as jambonz reaches it "
        "(env JAMBONZ_PIN_URL; see the deployment guide)",
    )
    parser.add_argument(
        "--no-reuse-port",
        action="store_true",
        help="workers accept on one inherited socket instead of SO_REUSEPORT",
    )
    parser.add_argument(
        "--loop",
        choices=["auto", "uvloop", "asyncio"],
        default="auto",
        help="event loop: uvloop when installed (auto, the default), or asyncio's own",
    )
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)  # a worker's inherited socket
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, console: Console) -> int:
    """Serve in this process (one worker) or supervise ``--workers`` processes."""
    if args.workers < 1:
        raise CliError("--workers must be at least 1")
    if args.workers > 1:
        return _supervise(args)
    app = load_app(args.app)  # before logging: an import error is a one-line CLI error
    show_logs(logging.DEBUG if getattr(args, "debug", False) else logging.INFO)
    sock = None
    if args.fd is not None:
        sock = socket.socket(fileno=args.fd)
    from .._loop import run as run_loop
    from ..server import serve

    run_loop(
        serve(
            app,
            args.host,
            args.port,
            store=args.store,
            shutdown_timeout=args.drain_timeout,
            drain_delay=args.drain_delay,
            metrics=args.metrics,
            reuse_port=args.reuse_port,
            sock=sock,
            pin_url=args.pin_url,
        ),
        loop=args.loop,
    )
    return 0


def _worker_command(args: argparse.Namespace, extra: list[str]) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "jambonz_runtime",
        "serve",
        args.app,
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--drain-timeout",
        str(args.drain_timeout),
        "--drain-delay",
        str(args.drain_delay),
        "--loop",
        args.loop,
        *extra,
    ]
    if args.store:
        command += ["--store", args.store]
    if args.metrics:
        command.append("--metrics")
    if args.pin_url:
        command += ["--pin-url", args.pin_url]
    return command


def _supervise(args: argparse.Namespace) -> int:
    load_app(args.app)  # fail here, once, rather than in every worker
    show_logs()
    listener: socket.socket | None = None
    reserve: socket.socket | None = None
    if REUSE_PORT and not args.no_reuse_port:
        mode = "SO_REUSEPORT"
        if args.port == 0:  # pick a port for all workers; keep it reserved while they start
            reserve = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            reserve.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            reserve.bind((args.host, 0))
            args.port = reserve.getsockname()[1]
        extra = ["--reuse-port"]
        pass_fds: tuple[int, ...] = ()
    else:
        mode = "one inherited socket"
        listener = socket.create_server((args.host, args.port), backlog=1024)
        listener.set_inheritable(True)
        args.port = listener.getsockname()[1]
        extra = ["--fd", str(listener.fileno())]
        pass_fds = (listener.fileno(),)
    _log.info(
        "jambonz-typed serve: %d workers on %s:%d (%s), session store %s",
        args.workers,
        args.host,
        args.port,
        mode,
        args.store or "none",
    )
    workers = [
        subprocess.Popen(_worker_command(args, extra), pass_fds=pass_fds)
        for _ in range(args.workers)
    ]
    stopping = False

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        codes = [worker.wait() for worker in workers]
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for sock in (listener, reserve):
            if sock is not None:
                sock.close()
    failed = [(w.pid, c) for w, c in zip(workers, codes, strict=True) if c != 0]
    if failed:
        _log.error("workers exited with errors: %s", failed)
        return 1
    _log.info("all %d workers drained and exited%s", args.workers, "" if stopping else " (?)")
    return 0
