"""The sans-I/O core of one jambonz control connection: strings in, strings out.

:class:`JambonzProtocol` holds everything a socket needs to get right that is not I/O:
which msgids are waiting for an ack (each ack-needing message is acked exactly once,
with its own msgid, in any order: several hooks are in flight at once), the encoding
of acks and commands, and the 24 KiB cap on app -> jambonz frames. It never awaits,
never touches a socket and never logs, so every rule here is tested with plain strings
(tests/runtime/test_protocol.py); the asyncio layer only moves text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

from pydantic import JsonValue

from ..exceptions import MAX_MESSAGE_BYTES, AckError, InvalidMessage, MessageTooLarge
from ._messages import ACK_REQUIRED, InboundMessage, UnknownMessage, parse_inbound
from ._wire import check_size, encode_wire

__all__ = [
    "MAX_OUTBOUND_BYTES",
    "DuplicateMsgid",
    "Event",
    "InvalidReceived",
    "JambonzProtocol",
    "MessageReceived",
    "UnexpectedKeys",
    "UnknownReceived",
]

MAX_OUTBOUND_BYTES: Final = MAX_MESSAGE_BYTES
"""The server's cap on one incoming frame (``JAMBONES_WS_MAX_PAYLOAD`` default)."""


@dataclass(frozen=True)
class MessageReceived:
    """A valid message of a known type; if it needs an ack, it is now pending."""

    message: InboundMessage


@dataclass(frozen=True)
class UnknownReceived:
    """A message of a type this SDK does not know: report it, do not answer it."""

    message: UnknownMessage


@dataclass(frozen=True)
class InvalidReceived:
    """A frame that is not a valid envelope; nothing can be answered."""

    error: InvalidMessage


@dataclass(frozen=True)
class UnexpectedKeys:
    """A valid message whose envelope has keys this SDK does not know (newer server)."""

    message: InboundMessage
    keys: tuple[str, ...]


@dataclass(frozen=True)
class DuplicateMsgid:
    """An ack-needing message reused a msgid that is still pending: one ack serves both."""

    message: InboundMessage


Event: TypeAlias = (
    MessageReceived | UnknownReceived | InvalidReceived | UnexpectedKeys | DuplicateMsgid
)
"""What :meth:`JambonzProtocol.receive_text` reports."""


class JambonzProtocol:
    """State of one control socket, app side.

    Args:
        max_outbound_bytes: cap on an encoded app -> jambonz message.
    """

    def __init__(self, *, max_outbound_bytes: int = MAX_OUTBOUND_BYTES) -> None:
        self.max_outbound_bytes = max_outbound_bytes
        self.call_sid: str | None = None
        """The call sid of the first message that carried one."""
        self._pending: dict[str, InboundMessage] = {}

    @property
    def pending(self) -> tuple[str, ...]:
        """Msgids waiting for an ack, oldest first."""
        return tuple(self._pending)

    def is_pending(self, msgid: str) -> bool:
        """Whether ``msgid`` still waits for its ack."""
        return msgid in self._pending

    def receive_text(self, frame: str | bytes) -> list[Event]:
        """Feed one frame as received; returns what it means.

        Never raises for bad input: an invalid frame is reported as
        :class:`InvalidReceived` and leaves the state unchanged.
        """
        received = self.receive_message(frame)
        if isinstance(received, InboundMessage):
            return [MessageReceived(received)]
        return received

    def receive_message(self, frame: str | bytes) -> InboundMessage | list[Event]:
        """Like :meth:`receive_text`, but an ordinary message comes back as itself.

        The common case (a valid message with nothing else to report) then costs no
        event objects; anything else is the same event list :meth:`receive_text` gives.
        """
        try:
            message = parse_inbound(frame)
        except InvalidMessage as exc:
            return [InvalidReceived(exc)]
        if isinstance(message, UnknownMessage):
            return [UnknownReceived(message)]
        if self.call_sid is None and message.call_sid:
            self.call_sid = message.call_sid
        msgid = message.msgid
        if message.type in ACK_REQUIRED:
            assert msgid is not None  # parse_inbound guarantees it
            if msgid in self._pending:
                return [*self._unexpected(message), DuplicateMsgid(message)]
            self._pending[msgid] = message
        if message.extra:
            return [*self._unexpected(message), MessageReceived(message)]
        return message

    @staticmethod
    def _unexpected(message: InboundMessage) -> list[Event]:
        if not message.extra:
            return []
        return [UnexpectedKeys(message, tuple(sorted(message.extra)))]

    def ack(self, msgid: str, verbs: Sequence[Mapping[str, JsonValue]] = ()) -> str:
        """Encode the one ack for ``msgid`` and mark it answered.

        Args:
            msgid: the msgid of the message being answered.
            verbs: the verbs in wire form (``[]`` means "nothing to do").

        Raises:
            AckError: ``msgid`` is not pending (never received, or acked already).
            MessageTooLarge: the ack is over the cap; ``msgid`` stays pending so a
                smaller answer can still be sent.
        """
        if msgid not in self._pending:
            raise AckError(f"no message with msgid {msgid!r} is waiting for an ack")
        text = encode_wire(
            {
                "type": "ack",
                "msgid": msgid,
                "data": [v if type(v) is dict else dict(v) for v in verbs],
            },
            limit=self.max_outbound_bytes,
            what=f"ack to {self._pending[msgid].type}",
        )
        del self._pending[msgid]
        return text

    def ack_first_fitting(
        self, msgid: str, answers: Sequence[Sequence[Mapping[str, JsonValue]]]
    ) -> tuple[str | None, tuple[MessageTooLarge, ...]]:
        """Encode the ack for ``msgid`` with the first of ``answers`` that fits the cap.

        The fallback chain of an answer that came out too large (the handler's verbs,
        then the app's error reply, then ``[]``) in one call that never raises
        :class:`MessageTooLarge`: it returns the ack text (``None`` if not even ``[]``
        fits, which only a cap below a few dozen bytes can cause: the msgid is then
        given up, as nothing can ever answer it) and the size errors met on the way,
        for the caller to log.

        Raises:
            AckError: ``msgid`` is not pending.
        """
        errors: list[MessageTooLarge] = []
        for verbs in (*answers, ()):
            try:
                return self.ack(msgid, verbs), tuple(errors)
            except MessageTooLarge as exc:
                errors.append(exc)
        del self._pending[msgid]
        return None, tuple(errors)

    def abandon(self) -> list[InboundMessage]:
        """Forget every pending message (the socket is gone); returns them."""
        lost = list(self._pending.values())
        self._pending.clear()
        return lost

    def encode(self, message: Mapping[str, JsonValue]) -> str:
        """Encode any app -> jambonz message (e.g. a command), enforcing the cap.

        Raises:
            MessageTooLarge: the encoded message is over the cap.
        """
        return encode_wire(message, limit=self.max_outbound_bytes)

    def check_size(self, text: str, what: str = "message") -> None:
        """Raise :class:`MessageTooLarge` if ``text`` is over the cap in UTF-8 bytes."""
        check_size(text, limit=self.max_outbound_bytes, what=what)
