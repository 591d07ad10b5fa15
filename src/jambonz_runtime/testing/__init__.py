"""A jambonz simulator: the server side of the protocol, in-process, over a real socket.

Use it to test an app without a jambonz account. It starts your :class:`App` on
127.0.0.1 (ephemeral port), connects to it exactly as jambonz does (websocket client,
subprotocol ``ws.jambonz.org``, optional Basic auth), scripts a call and records what
the app sends back::

    async with Simulator(app) as sim:
        call = await sim.call(from_="+15551230000")
        ack = await call.expect_ack()                 # the session:new answer
        assert ack.verb_names == ["say", "gather"]
        msgid = await call.hook("/echo", GatherCallback(reason="dtmfDetected", digits="1"))
        ack = await call.expect_ack(msgid)

Audio sockets (``app.on_audio``) are played by :class:`JambonzAudioClient` (the media
server of a listen verb) and :class:`VonageAudioClient` (Vonage), opened with
:meth:`Simulator.audio` / :meth:`Simulator.vonage`; :class:`ManualClock` drives Vonage
pacing without sleeping (``Simulator(app, audio_clock=clock)``).

Every wait is bounded (``timeout``, default 5 s) and fails with the messages seen so
far; nothing here sleeps to synchronise. Acks are matched by msgid, so out-of-order
answers to concurrent hooks are fine, and a msgid acked twice is reported.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Final, Literal, TypeVar

from pydantic import JsonValue
from typing_extensions import Self
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from jambonz_types import HookRef, JambonzCallback, Verb, Verbs

from ..app import App
from ..audio._pacing import Clock
from ..protocol._machine import MAX_OUTBOUND_BYTES
from ..server import SUBPROTOCOL, JambonzServer
from ..session import Session
from ._audio import JambonzAudioClient, ManualClock, VonageAudioClient
from ._waits import wait_changed

__all__ = [
    "JambonzAudioClient",
    "ManualClock",
    "ReceivedAck",
    "ReceivedCommand",
    "ReceivedMessage",
    "SimulatedCall",
    "Simulator",
    "VonageAudioClient",
    "new_msgid",
]

_St = TypeVar("_St")

P = TypeVar("P", bound=JambonzCallback)

_B58: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def new_msgid() -> str:
    """A msgid shaped like jambonz's (short-uuid: 22 flickrBase58 characters)."""
    return "".join(secrets.choice(_B58) for _ in range(22))


@dataclass(frozen=True)
class ReceivedMessage:
    """One frame the app sent, decoded."""

    type: str
    """``ack``, ``command``, or whatever the app put in ``type``."""
    message: dict[str, JsonValue]
    """The whole decoded JSON object."""
    raw: str = field(repr=False)
    """The frame as sent."""


@dataclass(frozen=True)
class ReceivedAck(ReceivedMessage):
    """An ack from the app."""

    msgid: str = ""
    """The msgid it answers."""
    data: list[JsonValue] = field(default_factory=list)
    """The verb array as sent (``[]`` = nothing)."""

    @property
    def verbs(self) -> list[Verb]:
        """The verbs, validated into models (raises ``VerbValidationError`` if invalid)."""
        return Verbs.from_wire(self.data).to_list()

    @property
    def verb_names(self) -> list[str]:
        """The ``verb`` key of each verb, in order."""
        return [str(v.get("verb")) if isinstance(v, dict) else "?" for v in self.data]


@dataclass(frozen=True)
class ReceivedCommand(ReceivedMessage):
    """A command from the app (``type: "command"``)."""

    command: str = ""
    """The command name (``redirect``, ``mute:status``, ``llm:tool-output``, ...)."""
    data: JsonValue = None
    """The command's ``data``, as sent."""
    queue_command: bool = False
    """``queueCommand``."""
    target_call_sid: str | None = None
    """Top-level ``callSid`` (the leg it targets), if given."""
    tool_call_id: str | None = None
    """Top-level ``tool_call_id`` (``llm:tool-output``)."""


def _decode(raw: str | bytes) -> ReceivedMessage:
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    try:
        obj: object = json.loads(text)
    except json.JSONDecodeError:
        return ReceivedMessage("<not json>", {}, text)
    if not isinstance(obj, dict):
        return ReceivedMessage("<not an object>", {}, text)
    kind = obj.get("type")
    if kind == "ack":
        data = obj.get("data")
        return ReceivedAck(
            "ack",
            obj,
            text,
            msgid=str(obj.get("msgid")),
            data=data if isinstance(data, list) else [],
        )
    if kind == "command":
        sid = obj.get("callSid")
        tool = obj.get("tool_call_id")
        return ReceivedCommand(
            "command",
            obj,
            text,
            command=str(obj.get("command")),
            data=obj.get("data"),
            queue_command=obj.get("queueCommand") is True,
            target_call_sid=sid if isinstance(sid, str) else None,
            tool_call_id=tool if isinstance(tool, str) else None,
        )
    return ReceivedMessage(str(kind), obj, text)


def _default_call_info(call_sid: str, from_: str, to: str) -> dict[str, JsonValue]:
    return {
        "call_sid": call_sid,
        "direction": "inbound",
        "from": from_,
        "to": to,
        "call_id": f"{uuid.uuid4()}@127.0.0.1",
        "sbc_callid": str(uuid.uuid4()),
        "sip_status": 100,
        "sip_reason": "Trying",
        "call_status": "trying",
        "account_sid": "00000000-0000-4000-8000-00000000acc7",
        "application_sid": "00000000-0000-4000-8000-000000000a99",
        "trace_id": secrets.token_hex(16),
        "caller_name": from_,
        "originating_sip_ip": "127.0.0.1",
        "local_sip_address": "127.0.0.1:5060",
    }


def _payload(data: JambonzCallback | Mapping[str, JsonValue] | None) -> dict[str, JsonValue]:
    if data is None:
        return {}
    if isinstance(data, JambonzCallback):
        return data.to_dict()
    return dict(data)


class SimulatedCall:
    """One jambonz control socket, scripted from a test."""

    def __init__(
        self, sim: Simulator, ws: ClientConnection, path: str, call_sid: str | None
    ) -> None:
        self.sim = sim
        self.ws = ws
        self.path = path
        self.call_sid = call_sid
        """The call sid this socket puts in envelopes (``None``: omitted)."""
        self.call_info: dict[str, JsonValue] = {}
        self.session_msgid = ""
        """The msgid of the ``session:new``/``session:adulting`` this socket opened with."""
        """The ``session:new`` payload sent (replayed by :meth:`reconnect`)."""
        self.received: list[ReceivedMessage] = []
        """Every frame the app sent on this socket, in order."""
        self.duplicate_acks: list[str] = []
        """Msgids the app acked more than once (must stay empty)."""
        self._taken: set[int] = set()
        self._acked: set[str] = set()
        self._changed = asyncio.Condition()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                message = _decode(frame)
                if isinstance(message, ReceivedAck):
                    if message.msgid in self._acked:
                        self.duplicate_acks.append(message.msgid)
                    self._acked.add(message.msgid)
                async with self._changed:
                    self.received.append(message)
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            async with self._changed:
                self._changed.notify_all()

    # -- sending -------------------------------------------------------------------------

    async def send_raw(self, frame: str | bytes) -> None:
        """Send one frame exactly as given (text, or binary for bytes)."""
        await self.ws.send(frame)

    async def send(
        self,
        type: str,
        data: P | Mapping[str, JsonValue] | None = None,
        *,
        hook: str | HookRef[P] | None = None,
        msgid: str | None = None,
        b3: str | None = None,
    ) -> str:
        """Send one jambonz -> app message with a fresh msgid; returns the msgid."""
        msgid = msgid or new_msgid()
        envelope: dict[str, JsonValue] = {"type": type, "msgid": msgid}
        if self.call_sid is not None:
            envelope["call_sid"] = self.call_sid
        if hook is not None:
            envelope["hook"] = hook if isinstance(hook, str) else hook.path
        envelope["data"] = _payload(data)
        if b3 is not None:
            envelope["b3"] = b3
        await self.ws.send(json.dumps(envelope))
        return msgid

    async def hook(
        self,
        hook: str | HookRef[P],
        payload: P | Mapping[str, JsonValue] | None = None,
        *,
        type: str = "verb:hook",
    ) -> str:
        """Fire a verb hook (``verb:hook``; or ``dial:confirm``/``session:redirect``).

        The payload is merged over the call info, as jambonz does. Returns the msgid.
        """
        data = {k: v for k, v in self.call_info.items() if k != "sip"}
        data.update(_payload(payload))
        return await self.send(type, data, hook=hook)

    async def status(self, call_status: str = "in-progress", **extra: JsonValue) -> None:
        """Send a ``call:status`` notification."""
        data: dict[str, JsonValue] = {
            "call_sid": self.call_sid,
            "call_status": call_status,
            "direction": "inbound",
        }
        data.update(extra)
        await self.send("call:status", data)

    async def tool_call(
        self,
        tool_call_id: str,
        name: str,
        args: JsonValue = None,
        *,
        hook: str = "/tool-call",
        type: str = "llm:tool-call",
    ) -> None:
        """Send an ``llm:tool-call`` (a notification: answer with ``llm:tool-output``)."""
        data: dict[str, JsonValue] = {"tool_call_id": tool_call_id, "name": name, "args": args}
        await self.send(type, data, hook=hook)

    async def tts_result(
        self, id: int | str, status: str | None = "ok", reason: str | None = None
    ) -> None:
        """Answer a ``tts:tokens`` command with ``tts:tokens-result`` (``full``, ...)."""
        data: dict[str, JsonValue] = {"id": id}
        if status is not None:
            data["status"] = status
        if reason is not None:
            data["reason"] = reason
        await self.send("tts:tokens-result", data)

    async def tts_event(self, event_type: str, **extra: JsonValue) -> None:
        """Send a ``tts:streaming-event`` (``stream_paused``, ``stream_resumed``,
        ``user_interruption``, ``stream_closed``, ...)."""
        data: dict[str, JsonValue] = {"event_type": event_type}
        data.update(extra)
        await self.send("tts:streaming-event", data)

    # -- expecting -----------------------------------------------------------------------

    async def _take(self, want: str, match: object, timeout: float | None) -> ReceivedMessage:
        def find() -> int | None:
            for index, message in enumerate(self.received):
                if index in self._taken:
                    continue
                if want == "ack" and isinstance(message, ReceivedAck):
                    if match is None or message.msgid == match:
                        return index
                elif want == "command" and isinstance(message, ReceivedCommand):
                    if match is None or message.command == match:
                        return index
                elif want == "any":
                    return index
            return None

        limit = self.sim.timeout if timeout is None else timeout
        await wait_changed(self._changed, lambda: find() is not None, self._reader, limit)
        index = find()
        if index is None:
            seen = "\n  ".join(m.raw[:300] for m in self.received) or "(nothing)"
            state = "socket closed" if self._reader.done() else f"{limit} s passed"
            raise AssertionError(
                f"expected {want} {match if match is not None else ''} but {state}; "
                f"the app sent:\n  {seen}"
            )
        self._taken.add(index)
        if self.duplicate_acks:
            raise AssertionError(f"the app acked msgids more than once: {self.duplicate_acks}")
        return self.received[index]

    async def expect_ack(
        self, msgid: str | None = None, *, timeout: float | None = None
    ) -> ReceivedAck:
        """Wait for the ack to ``msgid`` (any next ack if ``None``)."""
        found = await self._take("ack", msgid, timeout)
        assert isinstance(found, ReceivedAck)
        return found

    async def expect_command(
        self, command: str | None = None, *, timeout: float | None = None
    ) -> ReceivedCommand:
        """Wait for the next command (named ``command``, if given)."""
        found = await self._take("command", command, timeout)
        assert isinstance(found, ReceivedCommand)
        return found

    async def next_message(self, *, timeout: float | None = None) -> ReceivedMessage:
        """Wait for the next frame not yet taken by an ``expect_*``."""
        return await self._take("any", None, timeout)

    def untaken(self) -> list[ReceivedMessage]:
        """Frames received but not matched by any ``expect_*`` yet."""
        return [m for i, m in enumerate(self.received) if i not in self._taken]

    async def barrier(self, *, timeout: float | None = None) -> None:
        """Ping round-trip: the app has read (and synchronously handled) every earlier frame."""
        pong = await self.ws.ping()
        await asyncio.wait_for(pong, self.sim.timeout if timeout is None else timeout)

    # -- ending --------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the socket is closed."""
        return self._reader.done()

    async def wait_closed(self, *, timeout: float | None = None) -> int | None:
        """Wait until the app closes the socket; returns the close code."""
        await asyncio.wait_for(
            asyncio.shield(self._reader), self.sim.timeout if timeout is None else timeout
        )
        return self.ws.close_code

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket as jambonz does at the end of a call (1000)."""
        await self.ws.close(code, reason)
        await asyncio.wait_for(asyncio.shield(self._reader), self.sim.timeout)

    async def hangup(self) -> None:
        """End the call: ``call:status`` completed, then close with 1000."""
        await self.status("completed", duration=1, call_termination_by="caller")
        await self.close(1000)

    async def drop(self) -> None:
        """Vanish: cut the TCP connection with no close frame (the app sees 1006)."""
        transport = self.ws.transport
        transport.abort()
        await asyncio.wait_for(asyncio.shield(self._reader), self.sim.timeout)

    async def reconnect(
        self, *, drop: bool = True, via: Simulator | None = None
    ) -> tuple[SimulatedCall, str]:
        """Do what jambonz does after a drop: new socket, ``session:reconnect``.

        ``via``: reconnect through another simulator, i.e. to another app instance (what
        a load balancer does with jambonz's reconnect to the same URL); ``drop=False``
        leaves this socket open (an instance whose socket died silently).

        Returns the new call object and the reconnect msgid (ack it with
        ``expect_ack(msgid)`` on the new call).
        """
        if drop and not self.closed:
            await self.drop()
        new = await (via or self.sim).connect(self.path, call_sid=self.call_sid)
        new.call_info = self.call_info
        msgid = await new.send("session:reconnect", self.call_info)
        return new, msgid


class Simulator:
    """The jambonz side, in-process. An async context manager.

    Args:
        apps: app(s) to serve on 127.0.0.1 (ephemeral port); or ``None`` with ``url``.
        url: an already running app server (``ws://host:port``) instead.
        basic_auth: ``(user, password)`` the server requires (sent on every connect).
        timeout: bound of every wait, in seconds.
        audio_clock: time source of Vonage audio pacing (e.g. a :class:`ManualClock`).
        open_timeout: passed to :class:`JambonzServer` (same meaning and default).
        shutdown_timeout: passed to :class:`JambonzServer`.
        ping_interval: passed to :class:`JambonzServer`.
        max_message_size: passed to :class:`JambonzServer`.
        max_outbound_bytes: passed to :class:`JambonzServer`.
        compression: passed to :class:`JambonzServer`.
        transport: passed to :class:`JambonzServer`.
    """

    def __init__(
        self,
        apps: App[Session[_St]] | Iterable[App[Session[_St]]] | None = None,
        *,
        url: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        timeout: float = 5.0,
        audio_clock: Clock | None = None,
        open_timeout: float = 5.0,
        shutdown_timeout: float = 30.0,
        ping_interval: float | None = 20.0,
        max_message_size: int = 16 * 2**20,
        max_outbound_bytes: int = MAX_OUTBOUND_BYTES,
        compression: Literal["deflate"] | None = None,
        transport: Literal["direct", "asyncio"] = "direct",
    ) -> None:
        if (apps is None) == (url is None):
            raise ValueError("give either apps or url")
        self.server: JambonzServer | None = (
            JambonzServer(
                apps,
                basic_auth=basic_auth,
                audio_clock=audio_clock,
                open_timeout=open_timeout,
                shutdown_timeout=shutdown_timeout,
                ping_interval=ping_interval,
                max_message_size=max_message_size,
                max_outbound_bytes=max_outbound_bytes,
                compression=compression,
                transport=transport,
            )
            if apps is not None
            else None
        )
        self._url = url
        self.basic_auth = basic_auth
        self.timeout = timeout
        self.calls: list[SimulatedCall] = []
        self.audio_clients: list[JambonzAudioClient | VonageAudioClient] = []
        """Audio sockets opened with :meth:`audio` / :meth:`vonage` (closed on exit)."""

    @property
    def url(self) -> str:
        """``ws://host:port`` of the app server."""
        if self.server is not None:
            return self.server.url
        assert self._url is not None
        return self._url

    async def __aenter__(self) -> Self:
        if self.server is not None:
            await self.server.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for call in self.calls:
            if not call.closed:
                await call.ws.close(1000)
            call._reader.cancel()
        for client in self.audio_clients:
            if not client.closed:
                await client.ws.close(1000)
            client._reader.cancel()
        if self.server is not None:
            await self.server.shutdown(timeout=self.timeout)

    async def connect(
        self,
        path: str = "/",
        *,
        call_sid: str | None = None,
        subprotocols: list[str] | None = None,
        basic_auth: tuple[str, str] | None = None,
    ) -> SimulatedCall:
        """Open a control socket as jambonz does, without sending anything."""
        headers: dict[str, str] = {"User-Agent": "jambonz"}
        creds = basic_auth or self.basic_auth
        if creds is not None:
            token = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        offered = [SUBPROTOCOL] if subprotocols is None else [Subprotocol(p) for p in subprotocols]
        ws = await connect(
            self.url + path,
            subprotocols=offered or None,
            additional_headers=headers,
            open_timeout=self.timeout,
            ping_interval=None,
            max_size=None,
            user_agent_header=None,
        )
        call = SimulatedCall(self, ws, path, call_sid)
        self.calls.append(call)
        return call

    async def call(
        self,
        path: str = "/",
        *,
        call_sid: str | None = None,
        from_: str = "+15551230000",
        to: str = "+15559870000",
        data: JambonzCallback | Mapping[str, JsonValue] | None = None,
    ) -> SimulatedCall:
        """Start an inbound call: connect and send ``session:new``.

        ``data`` (typed ``SessionNewCallback`` or a dict) is merged over a realistic
        default call info. The ``session:new`` msgid is in ``call.session_msgid``.
        """
        sid = call_sid or str(uuid.uuid4())
        info = _default_call_info(sid, from_, to)
        info.update(_payload(data))
        call = await self.connect(path, call_sid=sid)
        call.call_info = info
        call.session_msgid = await call.send("session:new", info)
        return call

    async def adulting(
        self, path: str = "/", *, parent: SimulatedCall, call_sid: str | None = None
    ) -> SimulatedCall:
        """Open the ``/adulting`` socket of a dialed leg and send ``session:adulting``."""
        sid = call_sid or str(uuid.uuid4())
        dialed = parent.call_info.get("to")
        info = _default_call_info(sid, dialed if isinstance(dialed, str) else "", "+15550001111")
        info["direction"] = "outbound"
        info["parent_call_info"] = dict(parent.call_info)
        call = await self.connect(path.rstrip("/") + "/adulting", call_sid=None)
        call.call_info = info
        call.session_msgid = await call.send("session:adulting", info)
        call.call_sid = None  # the adulting envelope never carries call_sid
        return call

    async def options(self, path: str = "/") -> tuple[int, str, dict[str, str]]:
        """Send ``OPTIONS`` as the jambonz API server does; returns status, body, headers."""
        host_port = self.url.split("//", 1)[1]
        host, _, port = host_port.rpartition(":")
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, int(port)), self.timeout
        )
        try:
            writer.write(
                f"OPTIONS {path} HTTP/1.1\r\nHost: {host_port}\r\n"
                "Accept: application/json\r\nConnection: close\r\n\r\n".encode()
            )
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(), self.timeout)
        finally:
            writer.close()
        head, _, body = raw.decode("utf-8", "replace").partition("\r\n\r\n")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, body, headers

    async def audio(
        self,
        path: str = "/",
        *,
        sample_rate: int = 8000,
        mix_type: str = "mono",
        call_sid: str | None = None,
        metadata: Mapping[str, JsonValue] | None = None,
        first_frame: str | bytes | None = None,
        subprotocols: list[str] | None = None,
        basic_auth: tuple[str, str] | None = None,
    ) -> JambonzAudioClient:
        """Open a listen verb's audio socket as jambonz's media server does.

        See :meth:`JambonzAudioClient.connect`; Basic auth defaults to the simulator's.
        """
        client = await JambonzAudioClient.connect(
            self.url,
            path,
            sample_rate=sample_rate,
            mix_type=mix_type,
            call_sid=call_sid,
            metadata=metadata,
            first_frame=first_frame,
            subprotocols=subprotocols,
            basic_auth=basic_auth or self.basic_auth,
            timeout=self.timeout,
        )
        self.audio_clients.append(client)
        return client

    async def vonage(
        self,
        path: str = "/",
        *,
        sample_rate: int = 16000,
        headers: Mapping[str, JsonValue] | None = None,
        first_frame: str | bytes | None = None,
        clock: ManualClock | None = None,
    ) -> VonageAudioClient:
        """Open a Vonage Voice API websocket (see :meth:`VonageAudioClient.connect`).

        With ``clock``, Vonage's 1,024-frame buffer is modelled on it.
        """
        client = await VonageAudioClient.connect(
            self.url,
            path,
            sample_rate=sample_rate,
            headers=headers,
            first_frame=first_frame,
            clock=clock.now if clock is not None else None,
            timeout=self.timeout,
        )
        self.audio_clients.append(client)
        return client
