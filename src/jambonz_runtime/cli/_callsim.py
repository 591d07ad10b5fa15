"""What jambonz would do with an app's verbs, as a stream of events (no printing here).

Why separate from ``call``: the behaviour (which verb does what, which hook payload is
sent back, when the call ends) is the part worth testing precisely; the command only
turns events into lines. :func:`run_call` places one inbound call to an :class:`App`
through :class:`~jambonz_runtime.testing.Simulator` (a real loopback websocket), walks
the acked verb arrays in order as the feature server does, and asks a :class:`Caller`
for what the person on the phone does whenever a ``gather`` listens or a ``dial`` rings.

Rules taken from the feature server (``lib/session/call-session.js``, ``lib/tasks``):
verbs run one after another; a verb with an ``actionHook`` sends its result merged over
the call info (``verb:hook``, or ``session:redirect`` for ``redirect``) and a non-empty
answer *replaces* the verbs still queued, an empty one lets them continue; ``hangup``
ends the call. Where a real websocket call would stay open after the last verb waiting
for a command, the simulated caller hangs up instead. Verbs that need real media or
third parties (``llm``, ``listen``, ``conference``, ...) are reported and skipped.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

from pydantic import JsonValue
from websockets.exceptions import ConnectionClosed

from jambonz_types import JambonzCallback, Verb, Verbs, VerbValidationError
from jambonz_types.callbacks import (
    CallStatusCallback,
    DialCallback,
    GatherCallback,
    LlmCallback,
    PlayCallback,
    SessionRedirectCallback,
)
from jambonz_types.callbacks.gather import GatherCallbackSpeech as SpeechResult
from jambonz_types.callbacks.gather import GatherCallbackSpeechAlternative as Alternative
from jambonz_types.components import HookSpec, Target
from jambonz_types.verbs import (
    DTMF,
    Answer,
    Config,
    Dial,
    Gather,
    Hangup,
    Pause,
    Play,
    Redirect,
    Say,
    SIPDecline,
    Tag,
)

from ..app import App
from ..testing import ReceivedAck, ReceivedCommand, SimulatedCall, Simulator
from ._check import check_document, json_path

__all__ = [
    "AppProblem",
    "Caller",
    "CallFinished",
    "CallEvent",
    "CallStarted",
    "CallerAnswer",
    "CallerDid",
    "CommandReceived",
    "DialOutcome",
    "Dialed",
    "Digits",
    "Heard",
    "HangUp",
    "HookSent",
    "InputKind",
    "Listening",
    "Note",
    "Paused",
    "ScriptCaller",
    "Silence",
    "Skipped",
    "Spoken",
    "StatusSent",
    "ToolCalled",
    "ToolRequest",
    "VerbsReceived",
    "parse_answer",
    "parse_tool_call",
    "run_call",
]

InputKind = Literal["speech", "digits"]
DialOutcome = Literal["completed", "no-answer", "busy", "failed"]
DIAL_OUTCOMES: Final[tuple[DialOutcome, ...]] = ("completed", "no-answer", "busy", "failed")
_DIAL_SIP: Final[dict[DialOutcome, int]] = {
    "completed": 200,
    "no-answer": 487,
    "busy": 486,
    "failed": 503,
}
_KEYPAD: Final = frozenset("0123456789*#")
_MAX_STREAMED: Final = 10_000


# -- what the caller does ------------------------------------------------------------------


@dataclass(frozen=True)
class Digits:
    """The caller presses keys."""

    digits: str


@dataclass(frozen=True)
class Spoken:
    """The caller says something (the recognizer's transcript)."""

    text: str


@dataclass(frozen=True)
class Silence:
    """The caller does nothing until the gather times out."""


@dataclass(frozen=True)
class HangUp:
    """The caller hangs up."""


CallerAnswer = Digits | Spoken | Silence | HangUp
"""One thing the caller does when a ``gather`` listens."""


def parse_answer(line: str, inputs: Sequence[InputKind] = ("speech", "digits")) -> CallerAnswer:
    """Read one line of caller input (typed, or from an ``--script`` file).

    ``digits: 12#`` and ``speech: hello`` (or ``say: hello``) say what they are; a
    blank line, ``silence`` or ``timeout`` is silence; ``hangup`` hangs up. A bare line
    of keypad keys (``0-9 * #``; ``A-D`` only after ``digits:``) is pressed when the
    gather takes digits, anything else is spoken.
    """
    text = line.strip()
    head, sep, rest = text.partition(":")
    keyword = head.strip().lower() if sep else ""
    if keyword == "digits":
        return Digits(rest.strip())
    if keyword in ("speech", "say"):
        return Spoken(rest.strip())
    lowered = text.lower()
    if lowered in ("", "silence", "timeout"):
        return Silence()
    if lowered in ("hangup", "hang up"):
        return HangUp()
    if "digits" in inputs and all(c in _KEYPAD for c in text):
        return Digits(text)
    return Spoken(text)


@dataclass(frozen=True)
class ToolRequest:
    """A tool call the simulated LLM makes while an ``llm`` (or ``*_s2s``) verb runs."""

    name: str
    args: JsonValue


def parse_tool_call(line: str) -> ToolRequest:
    """``tool: NAME {json args}`` (the ``tool:`` prefix optional) as a :class:`ToolRequest`.

    The arguments are a JSON value (an object, as LLM vendors send); omitted: ``{}``.

    Raises:
        ValueError: no tool name, or arguments that are not JSON.
    """
    text = line.strip()
    if text.lower().startswith("tool:"):
        text = text[5:].strip()
    name, _, rest = text.partition(" ")
    if not name:
        raise ValueError(f"{line!r}: expected 'tool: NAME {{json args}}'")
    try:
        args: JsonValue = json.loads(rest) if rest.strip() else {}
    except ValueError as exc:
        raise ValueError(f"{line!r}: the tool arguments are not JSON ({exc})") from None
    return ToolRequest(name, args)


class Caller(Protocol):
    """The person on the phone: asked whenever the call needs them."""

    async def answer(self, listening: Listening) -> CallerAnswer:
        """What the caller does while ``listening`` runs."""
        ...

    async def dial_outcome(self, dialed: Sequence[str]) -> DialOutcome:
        """How a ``dial`` to ``dialed`` ends."""
        ...

    async def tool_calls(self, verb: str) -> list[ToolRequest]:
        """The tool calls the LLM of ``verb`` makes (none: the verb is skipped)."""
        ...


@dataclass
class ScriptCaller:
    """A caller reading its answers from lines (a ``--script`` file, or piped stdin).

    One line per ``gather`` (see :func:`parse_answer`; write ``silence`` for a timeout:
    blank lines are skipped); when the lines run out the caller hangs up. A line
    ``dial: busy`` (``completed``, ``no-answer``, ``failed``) right where a ``dial``
    runs decides how it ends, otherwise it ends as ``default_dial``. Lines starting with
    ``# `` (hash, space) are comments (a bare ``#`` is the pound key).
    """

    lines: Sequence[str]
    default_dial: DialOutcome = "completed"
    _queue: deque[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._queue = deque(
            line.strip()
            for line in self.lines
            if line.strip() and not line.lstrip().startswith("# ")
        )

    async def answer(self, listening: Listening) -> CallerAnswer:
        """The next line, parsed; :class:`HangUp` when there is none."""
        while self._queue and self._queue[0].strip().lower().startswith(("dial:", "tool:")):
            self._queue.popleft()  # a dial outcome or tool call nobody asked for
        if not self._queue:
            return HangUp()
        return parse_answer(self._queue.popleft(), listening.inputs)

    async def tool_calls(self, verb: str) -> list[ToolRequest]:
        """The ``tool: NAME {json}`` lines next in the script, in order.

        Raises:
            ValueError: such a line does not parse (see :func:`parse_tool_call`).
        """
        calls: list[ToolRequest] = []
        while self._queue and self._queue[0].strip().lower().startswith("tool:"):
            calls.append(parse_tool_call(self._queue.popleft()))
        return calls

    async def dial_outcome(self, dialed: Sequence[str]) -> DialOutcome:
        """``dial: <outcome>`` if that is the next line, else the default."""
        if self._queue and self._queue[0].strip().lower().startswith("dial:"):
            word = self._queue.popleft().split(":", 1)[1].strip().lower()
            for outcome in DIAL_OUTCOMES:
                if word == outcome:
                    return outcome
        return self.default_dial


# -- what happens, as events ---------------------------------------------------------------


@dataclass(frozen=True)
class CallStarted:
    """The simulator connected and sent ``session:new``."""

    url: str
    path: str
    call_sid: str
    from_: str
    to: str


@dataclass(frozen=True)
class VerbsReceived:
    """The app acked a message with a verb array (``data`` as sent)."""

    answering: str
    """``session:new`` or the hook it answers."""
    verbs: tuple[str, ...]
    data: list[JsonValue]


@dataclass(frozen=True)
class Heard:
    """The caller hears something: synthesized text or an audio file."""

    kind: Literal["say", "play"]
    text: str
    """The text spoken, or the URL played."""
    alternatives: tuple[str, ...] = ()
    """For ``say`` with a list of texts: all of them (jambonz picks one at random)."""
    streamed: bool = False
    """Text the app streamed with ``tts:tokens`` (a streaming ``say``)."""


@dataclass(frozen=True)
class Paused:
    """A ``pause`` verb: silence on the line."""

    seconds: float


@dataclass(frozen=True)
class Listening:
    """A ``gather`` waits for the caller."""

    inputs: tuple[InputKind, ...]
    hook: str | None
    num_digits: int | None = None
    finish_on_key: str | None = None


@dataclass(frozen=True)
class Dialed:
    """A ``dial`` verb rang its targets and ended with ``outcome``."""

    targets: tuple[str, ...]
    outcome: DialOutcome


@dataclass(frozen=True)
class CallerDid:
    """What the caller did while a gather listened."""

    answer: CallerAnswer


@dataclass(frozen=True)
class HookSent:
    """jambonz called the app back: ``verb:hook`` (or ``session:redirect``) with a payload."""

    type: str
    hook: str
    payload: JambonzCallback
    """The typed result (the call info it is merged over is left out)."""


@dataclass(frozen=True)
class StatusSent:
    """A ``call:status`` notification went to the app."""

    payload: CallStatusCallback


@dataclass(frozen=True)
class Skipped:
    """A verb the text simulation does not play out (it would need media or a third party)."""

    verb: str
    detail: str


@dataclass(frozen=True)
class Note:
    """Something worth telling that is not a verb (e.g. digits cut at ``numDigits``)."""

    text: str


@dataclass(frozen=True)
class CommandReceived:
    """The app sent a command over the socket (``redirect``, ``mute:status``, ...)."""

    command: str
    data: JsonValue


@dataclass(frozen=True)
class ToolCalled:
    """The simulated LLM asked the app to run a tool (``llm:tool-call``)."""

    verb: str
    hook: str
    tool_call_id: str
    name: str
    args: JsonValue


@dataclass(frozen=True)
class AppProblem:
    """The app did something jambonz would not accept (invalid verbs, no answer)."""

    text: str


@dataclass(frozen=True)
class CallFinished:
    """The call is over."""

    by: Literal["caller", "app", "jambonz"]
    reason: str
    ok: bool = True
    """``False`` when it ended because of an :class:`AppProblem`."""
    call_status: Literal["completed", "failed"] = "completed"
    """The final ``call:status`` sent to the app."""


CallEvent = (
    CallStarted
    | VerbsReceived
    | Heard
    | Paused
    | Listening
    | CallerDid
    | Dialed
    | HookSent
    | StatusSent
    | Skipped
    | ToolCalled
    | Note
    | CommandReceived
    | AppProblem
    | CallFinished
)
"""Everything :func:`run_call` reports, in the order it happens."""


# -- the walk ------------------------------------------------------------------------------


class _Stop(Exception):
    """The call ended (the :class:`CallFinished` is emitted by the walker)."""

    def __init__(self, ended: CallFinished) -> None:
        super().__init__(ended.reason)
        self.ended = ended


def _hook_path(hook: str | HookSpec | None) -> str | None:
    if hook is None:
        return None
    return hook if isinstance(hook, str) else hook.url


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _target(target: Target) -> str:
    if target.type == "phone":
        return f"phone {target.number}"
    if target.type == "sip":
        return f"sip {target.sip_uri}"
    if target.type == "user":
        return f"user {target.name}"
    return f"teams {target.number or target.tenant or ''}".rstrip()


_SKIPPED: Final[dict[str, str]] = {
    "alert": "sends a 180 Ringing with an Alert-Info header",
    "conference": "puts the caller into a conference",
    "dequeue": "connects the caller to a call waiting in a queue",
    "dialogflow": "connects the caller to a Dialogflow agent",
    "dub": "mixes an extra audio track into the call",
    "enqueue": "puts the caller on hold in a queue",
    "leave": "takes the caller out of a queue or conference",
    "listen": "streams the call audio to a websocket",
    "message": "sends an SMS",
    "sip:refer": "transfers the call with a SIP REFER",
    "sip:request": "sends a SIP request in the dialog",
    "stream": "streams the call audio to a websocket",
    "transcribe": "transcribes the call in the background",
    "transfer": "transfers the call",
}
_AI: Final = "connects the caller to an AI voice agent (needs a real call)"
_LLM_VERBS: Final = frozenset(
    {
        "llm",
        "s2s",
        "agent",
        "openai_s2s",
        "google_s2s",
        "deepgram_s2s",
        "elevenlabs_s2s",
        "gptlive_s2s",
        "qwen_s2s",
        "ultravox_s2s",
    }
)
"""Verbs whose tool calls a script can play (``tool: NAME {json}`` lines)."""


def _explain(data: list[JsonValue]) -> str:
    """The errors of an invalid verb array, one ``path: message`` line each."""
    return "\n".join(
        f"  {json_path(p.path)}: {p.message}" for p in check_document(data) if p.severity == "error"
    )


def _closed() -> CallFinished:
    # A graceful close by the app: jambonz runs no more of its verbs and hangs up.
    return CallFinished("app", "the app closed the websocket")


class _Walk:
    def __init__(
        self,
        call: SimulatedCall,
        caller: Caller,
        emit: Callable[[CallEvent], None],
        max_verbs: int,
        stream_wait: float,
    ) -> None:
        self.stream_wait = stream_wait
        self.call = call
        self.caller = caller
        self.emit = emit
        self.max_verbs = max_verbs
        self.queue: deque[Verb] = deque()
        self.started = time.monotonic()
        self.seen = 0  # frames of call.received already looked at for commands
        self.streaming = False  # a streaming say ran: the app may be sending tts:tokens
        self.spoken = ""  # streamed text not yet reported

    # -- talking to the app --------------------------------------------------------------

    async def verbs_of(self, answering: str, msgid: str) -> list[Verb]:
        try:
            ack = await self.call.expect_ack(msgid)
        except AssertionError:
            if self.call.closed:
                raise _Stop(_closed()) from None
            why = f"the app did not answer {answering} within {self.call.sim.timeout:g} s"
            raise _Stop(self.problem(why)) from None
        return self.decode(answering, ack)

    def decode(self, answering: str, ack: ReceivedAck) -> list[Verb]:
        self.emit(VerbsReceived(answering, tuple(ack.verb_names), ack.data))
        try:
            return Verbs.from_wire(ack.data).to_list() if ack.data else []
        except VerbValidationError:
            why = _explain(ack.data)
            raise _Stop(
                self.problem(f"the app answered {answering} with verbs jambonz rejects:\n{why}")
            ) from None

    def problem(self, text: str) -> CallFinished:
        self.emit(AppProblem(text))
        return CallFinished("jambonz", "the app sent something jambonz cannot run", ok=False)

    async def hook(
        self, hook: str, payload: JambonzCallback, *, type: str = "verb:hook"
    ) -> list[Verb]:
        self.emit(HookSent(type, hook, payload))
        msgid = await self.call.hook(hook, payload, type=type)
        return await self.verbs_of(f"{type} {hook}", msgid)

    def after_hook(self, verbs: list[Verb]) -> None:
        """A non-empty answer replaces what is still queued; an empty one continues."""
        if verbs:
            self.queue = deque(verbs)

    async def status(self, status: CallStatusCallback) -> None:
        self.emit(StatusSent(status))
        await self.call.send("call:status", status)

    async def commands(self) -> None:
        """Handle commands the app sent since the last look.

        A ``redirect`` with verbs replaces the queue (or is appended with
        ``queueCommand``); ``tts:tokens`` text is heard and answered ``ok`` as jambonz
        does while a streaming ``say`` runs; anything else is reported.
        """
        received = self.call.received
        while self.seen < len(received):
            message = received[self.seen]
            self.seen += 1
            if not isinstance(message, ReceivedCommand):
                continue
            data = message.data
            if message.command == "tts:tokens" and isinstance(data, dict):
                tokens = data.get("tokens")
                if isinstance(tokens, str):
                    self.spoken += tokens
                ident = data.get("id")
                if isinstance(ident, (int, str)) and not self.call.closed:
                    await self.call.tts_result(ident, "ok")
                continue
            if message.command == "tts:flush":
                self.speak_streamed()
                continue
            self.emit(CommandReceived(message.command, data))
            if message.command == "redirect" and isinstance(data, list):
                try:
                    verbs = Verbs.from_wire(data).to_list()
                except VerbValidationError:
                    self.emit(AppProblem(f"redirect command with invalid verbs:\n{_explain(data)}"))
                    continue
                if message.queue_command:
                    self.queue.extend(verbs)
                else:
                    self.queue = deque(verbs)

    def speak_streamed(self) -> None:
        if self.spoken.strip():
            self.emit(Heard("say", self.spoken.strip(), streamed=True))
        self.spoken = ""

    async def settle(self) -> None:
        """Let the app finish what it is saying before the caller is asked anything.

        Everything sent so far is handled (ping round-trip). While a streaming ``say``
        runs, text keeps coming after each ``tts:tokens-result``; that stream counts as
        finished once the app sends nothing for ``stream_wait`` seconds.
        """
        if self.call.closed:
            return
        await self.call.barrier()
        await self.commands()
        for _ in range(_MAX_STREAMED):
            if not self.streaming:
                break
            try:
                await self.call.expect_command(timeout=self.stream_wait)
            except AssertionError:
                break
            await self.commands()
        self.speak_streamed()

    # -- the verbs -----------------------------------------------------------------------

    async def run(self, first: list[Verb]) -> CallFinished:
        self.queue = deque(first)
        executed = 0
        while True:
            await self.commands()
            if not self.queue:
                await self.settle()  # a last redirect or streamed text may be on its way
                if not self.queue:
                    break
            if executed >= self.max_verbs:
                return CallFinished("jambonz", f"stopped after {self.max_verbs} verbs (max_verbs)")
            executed += 1
            await self.verb(self.queue.popleft())
        return CallFinished(
            "caller", "no more verbs (a real call would wait for a command from the app)"
        )

    async def verb(self, verb: Verb) -> None:
        if isinstance(verb, Say):
            texts = _texts(verb.text)
            if verb.stream and not texts:
                self.streaming = True
                self.emit(
                    Note("streaming say: jambonz speaks the text the app sends as tts:tokens")
                )
            if texts:
                self.emit(Heard("say", texts[0], tuple(texts) if len(texts) > 1 else ()))
        elif isinstance(verb, Play):
            await self.play(verb)
        elif isinstance(verb, Pause):
            self.emit(Paused(float(verb.length)))
        elif isinstance(verb, Gather):
            await self.gather(verb)
        elif isinstance(verb, Dial):
            await self.dial(verb)
        elif isinstance(verb, Hangup):
            raise _Stop(CallFinished("app", "the app hung up (hangup verb)"))
        elif isinstance(verb, SIPDecline):
            reason = f" {verb.reason}" if verb.reason else ""
            raise _Stop(
                CallFinished(
                    "app", f"the app declined the call: SIP {verb.status}{reason}", True, "failed"
                )
            )
        elif isinstance(verb, Redirect):
            hook = _hook_path(verb.action_hook)
            if hook is not None:
                payload = SessionRedirectCallback()
                self.after_hook(await self.hook(hook, payload, type="session:redirect"))
        elif isinstance(verb, Answer):
            self.emit(Skipped("answer", "answers the call"))
        elif isinstance(verb, Config):
            self.emit(Skipped("config", "changes session settings for the verbs that follow"))
        elif isinstance(verb, Tag):
            self.emit(Skipped("tag", "attaches data to the call's status events"))
        elif isinstance(verb, DTMF):
            self.emit(Skipped("dtmf", f"sends DTMF {verb.dtmf}"))
        elif str(verb.verb) in _LLM_VERBS:
            await self.llm(verb)
        else:
            name = str(verb.verb)
            self.emit(Skipped(name, _SKIPPED.get(name, _AI)))

    async def llm(self, verb: Verb) -> None:
        """An LLM verb: the script's tool calls, each answered by ``llm:tool-output``.

        No scripted tool calls: skipped as before. Otherwise each call goes to the
        verb's ``toolHook`` as ``llm:tool-call`` and the app must answer it with an
        ``llm:tool-output`` command echoing the ``tool_call_id`` within the timeout;
        then the verb ends ``normal conversation end`` at its ``actionHook``.
        """
        name = str(verb.verb)
        await self.settle()
        try:
            calls = await self.caller.tool_calls(name)
        except ValueError as exc:
            raise _Stop(self.problem(f"bad tool line in the script: {exc}")) from None
        if not calls:
            self.emit(Skipped(name, _AI))
            return
        tool_hook = _hook_path(getattr(verb, "tool_hook", None)) or "/tool-call"
        for index, request in enumerate(calls, 1):
            ident = f"call_sim_{index}"
            self.emit(ToolCalled(name, tool_hook, ident, request.name, request.args))
            await self.call.tool_call(ident, request.name, request.args, hook=tool_hook)
            try:
                output = await self.call.expect_command("llm:tool-output")
            except AssertionError:
                if self.call.closed:
                    raise _Stop(_closed()) from None
                why = (
                    f"the app did not answer tool call {request.name!r} ({ident}) with an "
                    f"llm:tool-output command within {self.call.sim.timeout:g} s"
                )
                raise _Stop(self.problem(why)) from None
            echoed = output.message.get("tool_call_id")
            if echoed != ident:
                why = (
                    f"the llm:tool-output for {request.name!r} carries tool_call_id "
                    f"{echoed!r}, not {ident!r}: the LLM would "
                    "never get the result"
                )
                raise _Stop(self.problem(why))
            await self.commands()
        hook = _hook_path(getattr(verb, "action_hook", None))
        if hook is not None:
            payload = LlmCallback(completion_reason="normal conversation end")
            self.after_hook(await self.hook(hook, payload))

    async def play(self, verb: Play) -> None:
        for url in _texts(verb.url):
            self.emit(Heard("play", url))
        hook = _hook_path(verb.action_hook)
        if hook is not None:
            self.after_hook(await self.hook(hook, PlayCallback(reason="playCompleted")))

    async def gather(self, verb: Gather) -> None:
        # The nested prompts are raw objects from the wire (or models, if built so).
        say, play = verb.say, verb.play
        for text in _texts(say.text if isinstance(say, Say) else say and say.get("text")):
            self.emit(Heard("say", text))
        for url in _texts(play.url if isinstance(play, Play) else play and play.get("url")):
            self.emit(Heard("play", url))
        inputs: tuple[InputKind, ...] = tuple(verb.input) if verb.input else ("digits",)
        num = int(verb.num_digits) if verb.num_digits is not None else None
        listening = Listening(inputs, _hook_path(verb.action_hook), num, verb.finish_on_key)
        self.emit(listening)
        await self.settle()
        answer = await self.caller.answer(listening)
        self.emit(CallerDid(answer))
        if isinstance(answer, HangUp):
            raise _Stop(CallFinished("caller", "the caller hung up"))
        result = self.gather_result(listening, answer)
        if listening.hook is not None:
            self.after_hook(await self.hook(listening.hook, result))

    def gather_result(self, listening: Listening, answer: CallerAnswer) -> GatherCallback:
        if isinstance(answer, Digits) and answer.digits:
            if "digits" not in listening.inputs:
                self.emit(Note("this gather does not listen for digits: it times out"))
                return GatherCallback(reason="timeout")
            digits = answer.digits
            if listening.finish_on_key and listening.finish_on_key in digits:
                digits = digits[: digits.index(listening.finish_on_key)]
            if listening.num_digits is not None and len(digits) > listening.num_digits:
                digits = digits[: listening.num_digits]
                self.emit(Note(f"numDigits is {listening.num_digits}: jambonz takes {digits}"))
            return GatherCallback(reason="dtmfDetected", digits=digits)
        if isinstance(answer, Spoken) and answer.text:
            if "speech" not in listening.inputs:
                self.emit(Note("this gather does not listen for speech: it times out"))
                return GatherCallback(reason="timeout")
            speech = SpeechResult(
                language_code="en-US",
                is_final=True,
                alternatives=[Alternative(transcript=answer.text, confidence=0.9)],
            )
            return GatherCallback(reason="speechDetected", speech=speech)
        return GatherCallback(reason="timeout")

    async def dial(self, verb: Dial) -> None:
        targets = tuple(_target(t) for t in verb.target)
        outcome = await self.caller.dial_outcome(targets)
        self.emit(Dialed(targets, outcome))
        hook = _hook_path(verb.action_hook)
        if hook is None:
            return
        payload = DialCallback(
            dial_call_status=outcome,
            dial_sip_status=_DIAL_SIP[outcome],
            dial_call_sid=str(uuid.uuid4()),
        )
        self.after_hook(await self.hook(hook, payload))

    async def finish(self, ended: CallFinished, from_: str, to: str) -> None:
        if self.call.closed:
            self.emit(ended)
            return
        await self.status(
            CallStatusCallback(
                call_sid=self.call.call_sid,
                call_status=ended.call_status,
                direction="inbound",
                from_=from_,
                to=to,
                duration=round(time.monotonic() - self.started),
                call_termination_by="caller" if ended.by == "caller" else "jambonz",
            )
        )
        self.emit(ended)
        await self.call.close(1000)


async def run_call(
    app: App[Any],
    caller: Caller,
    emit: Callable[[CallEvent], None],
    *,
    path: str = "/",
    from_: str = "+15551230000",
    to: str = "+15559870000",
    timeout: float = 5.0,
    max_verbs: int = 200,
    env_vars: Mapping[str, JsonValue] | None = None,
    stream_wait: float = 0.5,
) -> CallFinished:
    """Place one simulated inbound call to ``app`` at ``path`` and play it out.

    Every step is reported to ``emit``; ``caller`` is asked for input. Returns how the
    call ended (also the last event). Each wait for the app is bounded by ``timeout``
    and at most ``max_verbs`` verbs run, so a looping app still ends. ``env_vars`` are
    the application's environment variables as jambonz sends them in ``session:new``.
    After a streaming ``say``, text the app streams counts as finished when nothing new
    comes for ``stream_wait`` seconds.
    """
    async with Simulator(app, timeout=timeout) as sim:
        data: dict[str, JsonValue] | None = None
        if env_vars:
            data = {"env_vars": dict(env_vars)}
        call = await sim.call(path, from_=from_, to=to, data=data)
        emit(CallStarted(sim.url, path, str(call.call_sid), from_, to))
        walk = _Walk(call, caller, emit, max_verbs, stream_wait)
        try:
            first = await walk.verbs_of("session:new", call.session_msgid)
            await walk.status(
                CallStatusCallback(
                    call_sid=call.call_sid,
                    call_status="in-progress",
                    direction="inbound",
                    from_=from_,
                    to=to,
                )
            )
            ended = await walk.run(first)
        except _Stop as stop:
            ended = stop.ended
        except ConnectionClosed:
            ended = _closed()
        await walk.finish(ended, from_, to)
        return ended
