"""Audio sockets: the call audio jambonz (``listen``/``stream``) or Vonage streams to the app.

Why a layer of its own: audio sockets carry binary frames paced in real time, with a
data path of their own; the app API registers handlers for them (``app.on_audio``)
and the server hands sockets over, but nothing here knows about control sockets,
sessions or apps.

Modules (private; the names below are the public surface):

* ``_streams``: :class:`JambonzAudioStream`, :class:`VonageAudioStream`, their metadata
  models, events and limits;
* ``_socket``: one audio socket's loop (first frame, metadata, frames, events);
* ``_wire``: the lean RFC 6455 data path after websockets' handshake;
* ``_pacing``: clocks, reframing and playout estimates.

Names load on first use (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._streams import AUDIO_SUBPROTOCOL as AUDIO_SUBPROTOCOL
    from ._streams import MAX_MARKS as MAX_MARKS
    from ._streams import MAX_PLAY_AUDIO_BYTES as MAX_PLAY_AUDIO_BYTES
    from ._streams import PLAY_AUDIO_SAMPLE_RATES as PLAY_AUDIO_SAMPLE_RATES
    from ._streams import VONAGE_MAX_BUFFERED_FRAMES as VONAGE_MAX_BUFFERED_FRAMES
    from ._streams import AudioCallback as AudioCallback
    from ._streams import AudioEvent as AudioEvent
    from ._streams import AudioPlatform as AudioPlatform
    from ._streams import AudioStream as AudioStream
    from ._streams import Clock as Clock
    from ._streams import DtmfEvent as DtmfEvent
    from ._streams import JambonzAudioHandler as JambonzAudioHandler
    from ._streams import JambonzAudioMetadata as JambonzAudioMetadata
    from ._streams import JambonzAudioStream as JambonzAudioStream
    from ._streams import MarkEvent as MarkEvent
    from ._streams import PlayDoneEvent as PlayDoneEvent
    from ._streams import SystemClock as SystemClock
    from ._streams import TextEvent as TextEvent
    from ._streams import VonageAudioHandler as VonageAudioHandler
    from ._streams import VonageAudioMetadata as VonageAudioMetadata
    from ._streams import VonageAudioStream as VonageAudioStream
    from ._streams import parse_jambonz_metadata as parse_jambonz_metadata
    from ._streams import parse_vonage_metadata as parse_vonage_metadata

__all__ = [
    "AUDIO_SUBPROTOCOL",
    "MAX_MARKS",
    "MAX_PLAY_AUDIO_BYTES",
    "PLAY_AUDIO_SAMPLE_RATES",
    "VONAGE_MAX_BUFFERED_FRAMES",
    "AudioCallback",
    "AudioEvent",
    "AudioPlatform",
    "AudioStream",
    "Clock",
    "DtmfEvent",
    "JambonzAudioHandler",
    "JambonzAudioMetadata",
    "JambonzAudioStream",
    "MarkEvent",
    "PlayDoneEvent",
    "SystemClock",
    "TextEvent",
    "VonageAudioHandler",
    "VonageAudioMetadata",
    "VonageAudioStream",
    "parse_jambonz_metadata",
    "parse_vonage_metadata",
]


def __getattr__(name: str) -> object:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}._streams"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
