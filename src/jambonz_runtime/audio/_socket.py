"""Run one audio socket: read the metadata frame, build the stream, run the handler.

Kept out of ``server.py`` so the server only routes: it calls :func:`serve_audio` for a
socket whose path and subprotocol matched an ``app.on_audio`` registration. Rules:

* the first frame must arrive within ``first_frame_timeout`` and be the platform's
  JSON metadata; otherwise it is logged with its raw text and the socket is closed
  (1003 for a binary first frame, 1007 for bad JSON or metadata, 1008 on timeout), and
  the handler never runs;
* a handler that raises is logged with the call sid and the socket closed with 1011;
  nothing else is affected (every socket is its own websockets handler task);
* when the handler returns, the stream is read to its end, feeding the callbacks.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Union

from websockets.exceptions import ConnectionClosed

from .._log import call_logger
from ..exceptions import AudioStreamClosed, InvalidMessage
from ._pacing import Clock
from ._streams import (
    AudioPlatform,
    JambonzAudioHandler,
    JambonzAudioStream,
    VonageAudioHandler,
    VonageAudioStream,
    _Socket,
    parse_jambonz_metadata,
    parse_vonage_metadata,
)

__all__ = ["AudioRoute", "serve_audio"]

_log = logging.getLogger("jambonz_runtime.audio")


@dataclass(frozen=True)
class AudioRoute:
    """One ``app.on_audio`` registration."""

    path: str
    platform: AudioPlatform
    handler: Union[JambonzAudioHandler, VonageAudioHandler]  # noqa: UP007  # matched by platform


async def _close(ws: _Socket, code: int, reason: str) -> None:
    try:
        await ws.close(code, reason)
    except ConnectionClosed:  # pragma: no cover - already gone
        pass


async def serve_audio(
    ws: _Socket,
    route: AudioRoute,
    *,
    clock: Clock | None = None,
    first_frame_timeout: float = 5.0,
) -> None:
    """Handle one audio socket until it closes (see the module docstring)."""
    path = route.path
    try:
        first = await asyncio.wait_for(ws.recv(), first_frame_timeout)
    except asyncio.TimeoutError:
        _log.warning(
            "audio socket %s: no metadata within %.1f s; closing", path, first_frame_timeout
        )
        await _close(ws, 1008, "no metadata")
        return
    except ConnectionClosed:
        _log.info("audio socket %s closed before its metadata", path)
        return

    stream: JambonzAudioStream | VonageAudioStream
    try:
        if route.platform == "jambonz":
            jambonz_meta = parse_jambonz_metadata(first)
            log = call_logger(jambonz_meta.call_sid, _log)
            stream = JambonzAudioStream(ws, jambonz_meta, path=path, log=log)
            runner = route.handler(stream)  # type: ignore[arg-type]  # the platform says which
        else:
            vonage_meta = parse_vonage_metadata(first)
            log = call_logger(None, _log)
            stream = VonageAudioStream(ws, vonage_meta, path=path, log=log, clock=clock)
            runner = route.handler(stream)  # type: ignore[arg-type]  # the platform says which
    except InvalidMessage as exc:
        _log.warning("audio socket %s (%s): %s", path, route.platform, exc)
        await _close(ws, 1003 if isinstance(first, bytes) else 1007, "invalid metadata")
        return

    log.info(
        "audio socket %s (%s) open: %d Hz, %d channel(s)",
        path,
        route.platform,
        stream.sample_rate,
        stream.channels,
    )
    try:
        await runner
    except AudioStreamClosed:
        pass
    except Exception:
        log.exception("audio handler for %s raised; closing the socket with 1011", path)
        await _close(ws, 1011, "handler error")
    try:
        await stream.run()  # to the end: callbacks get the rest, on_close fires
    except Exception:
        log.exception("audio callback for %s raised; closing the socket with 1011", path)
        await _close(ws, 1011, "callback error")
    log.info(
        "audio socket %s closed (code %s, %d frames in)",
        path,
        stream.close_code,
        stream.frames_received,
    )
