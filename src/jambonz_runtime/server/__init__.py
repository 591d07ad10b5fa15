"""Serving apps over jambonz's control websocket (and their audio sockets).

Why a layer of its own: this is the only code that touches sockets for control
connections. It sits on the app API (:mod:`jambonz_runtime.app`, ``session``, ``flow``)
and the sans-I/O :mod:`jambonz_runtime.protocol`; nothing below it knows a socket exists.

Modules (private; the names below are the public surface):

* ``_server``: :class:`JambonzServer` and :func:`serve` (websockets' asyncio server for
  audio routes and the ``asyncio`` transport);
* ``_direct``: the lean ``direct`` transport (websockets' sans-I/O protocol on asyncio
  streams, no task or queue per socket);
* ``_dispatch``: one control connection: routing messages to handlers, acks by msgid;
* ``_common``: :data:`SUBPROTOCOL`, :data:`OPTIONS_SUPPORTED`, the transports' settings;
* ``_persist``: what goes into the session store when, and resuming calls from it;
* ``_metrics``: :class:`Metrics` (no-op) and :class:`PrometheusMetrics` (``/metrics``).
"""

from __future__ import annotations

from ._common import OPTIONS_SUPPORTED, SUBPROTOCOL
from ._metrics import Metrics, PrometheusMetrics
from ._server import JambonzServer, serve

__all__ = [
    "OPTIONS_SUPPORTED",
    "SUBPROTOCOL",
    "JambonzServer",
    "Metrics",
    "PrometheusMetrics",
    "serve",
]
