"""A 300-line jambonz app written the way a user would, to time ``mypy --strict`` on it.

``bench/mypy_time.py`` type-checks this file (and so everything it imports from
``jambonz_types`` and ``jambonz_runtime``) with a cold and a warm cache. It sticks to
forms every version of the SDK since the builder accepts (models for components, dicts
for gather's nested prompts), so the same file measures a before and an after.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from jambonz_runtime import App, CallFlow, Session, serve
from jambonz_types import Verbs
from jambonz_types.callbacks import (
    CallStatusCallback,
    DialCallback,
    GatherCallback,
    ListenCallback,
    LlmCallback,
    SessionNewCallback,
    TranscribeCallback,
)
from jambonz_types.components import Recognizer, Synthesizer, Target
from jambonz_types.verbs import Say

__all__ = ["app", "main"]

log = logging.getLogger("bench.typecheck_app")

VOICE = Synthesizer(vendor="google", language="en-US", voice="en-US-Wavenet-C")
EARS = Recognizer(vendor="google", language="en-US", hints=["sales", "support", "billing"])
DEPARTMENTS: dict[str, str] = {
    "1": "+15085550101",
    "2": "+15085550102",
    "3": "+15085550103",
}
NAMES: dict[str, str] = {"1": "sales", "2": "support", "3": "billing"}


@dataclass
class CallState:
    """What the app remembers about one call."""

    call_sid: str
    attempts: int = 0
    department: str | None = None
    transcript: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.transcript.append(text)
        if len(self.transcript) > 50:
            del self.transcript[0]


STATES: dict[str, CallState] = {}

app = App()


def state_of(session: Session) -> CallState:
    """The state of this call, created on first use."""
    sid = session.call_sid or "-"
    found = STATES.get(sid)
    if found is None:
        found = STATES[sid] = CallState(sid)
    return found


def menu_prompt(attempt: int) -> str:
    if attempt == 0:
        return "Welcome. For sales press 1, for support press 2, for billing press 3."
    if attempt == 1:
        return "Sorry, I did not get that. Press 1, 2 or 3."
    return "Last try: 1 for sales, 2 for support, 3 for billing."


def goodbye(text: str = "Thanks for calling. Goodbye.") -> Verbs:
    return Verbs().say(text=text, synthesizer=VOICE).hangup()


@app.action_hook("/menu")
async def menu(session: Session, result: GatherCallback) -> Verbs:
    """Route the caller by the digit they pressed or the word they said."""
    state = state_of(session)
    choice: str | None = None
    if result.reason == "dtmfDetected" and result.digits:
        choice = result.digits[:1]
    elif result.reason == "speechDetected" and result.speech and result.speech.alternatives:
        heard = (result.speech.alternatives[0].transcript or "").lower()
        state.note(heard)
        for digit, name in NAMES.items():
            if name in heard:
                choice = digit
    if choice is None or choice not in DEPARTMENTS:
        state.attempts += 1
        if state.attempts >= 3:
            return goodbye("We could not understand your choice. Goodbye.")
        return ask(state.attempts)
    state.department = NAMES[choice]
    return connect(DEPARTMENTS[choice], NAMES[choice])


def ask(attempt: int) -> Verbs:
    return Verbs().gather(
        input=["digits", "speech"],
        num_digits=1,
        timeout=8,
        action_hook=menu,
        recognizer=EARS,
        say={"text": menu_prompt(attempt)},
    )


def connect(number: str, name: str) -> Verbs:
    return (
        Verbs()
        .say(text=f"Connecting you to {name}.", synthesizer=VOICE)
        .dial(
            target=[Target(type="phone", number=number)],
            caller_id="+15085550100",
            answer_on_bridge=True,
            time_limit=3600,
            action_hook=dial_done,
            dial_music="https://example.com/ringback.mp3",
        )
    )


@app.action_hook("/dial-done")
async def dial_done(session: Session, result: DialCallback) -> Verbs:
    """Offer voicemail when the department did not answer."""
    state = state_of(session)
    status = result.dial_call_status
    log.info("dial to %s ended: %s", state.department, status)
    if status == "completed":
        return goodbye()
    return (
        Verbs()
        .say(text="Nobody is available. Leave a message after the tone.", synthesizer=VOICE)
        .play(url="https://example.com/beep.wav")
        .listen(
            url="wss://example.com/voicemail",
            mix_type="mono",
            sample_rate=8000,
            max_length=120,
            finish_on_key="#",
            action_hook=voicemail_done,
        )
    )


@app.action_hook("/voicemail-done")
async def voicemail_done(session: Session, result: ListenCallback) -> Verbs:
    log.info("voicemail recorded for %s", session.call_sid)
    return goodbye("Your message was recorded. Goodbye.")


@app.on_session("/")
async def start(session: Session, call: SessionNewCallback) -> Verbs:
    """Answer, set session defaults, and ask for a department."""
    state_of(session)
    log.info("call from %s to %s", call.from_, call.to)
    return (
        Verbs()
        .config(synthesizer=VOICE, recognizer=EARS, notify_events=True)
        .pause(length=1)
        .gather(
            input=["digits", "speech"],
            num_digits=1,
            timeout=8,
            action_hook=menu,
            say={"text": menu_prompt(0)},
        )
    )


@app.action_hook("/transcript")
async def transcript(session: Session, result: TranscribeCallback) -> Verbs:
    """Keep what was said (background transcription)."""
    state = state_of(session)
    if result.speech and result.speech.alternatives:
        state.note(result.speech.alternatives[0].transcript or "")
    return Verbs()


@app.on_session("/agent")
async def agent(session: Session, call: SessionNewCallback) -> Verbs:
    """A voice agent with background transcription and a typed action hook."""
    return (
        Verbs()
        .transcribe(transcription_hook=transcript, recognizer=EARS)
        .openai_s2s(
            vendor="openai",
            model="gpt-4o-realtime-preview",
            llm_options={"session_update": {"instructions": "Be brief and friendly."}},
            action_hook=agent_done,
        )
    )


@app.action_hook("/agent-done")
async def agent_done(session: Session, result: LlmCallback) -> Verbs:
    log.info("agent ended: %s", result.completion_reason)
    return goodbye()


@app.on("call:status")
async def status(session: Session, payload: CallStatusCallback) -> None:
    if payload.call_status in ("completed", "failed", "busy", "no-answer"):
        state = STATES.pop(session.call_sid or "-", None)
        if state is not None:
            log.info("call %s over after %d attempts", state.call_sid, state.attempts)


@app.flow("/survey")
async def survey(call: CallFlow) -> None:
    """A three-question survey as one coroutine."""
    answers: list[str] = []
    for question in (
        "On a scale of 1 to 5, how satisfied are you?",
        "Would you recommend us? Press 1 for yes, 2 for no.",
        "Press 1 if we may call you back.",
    ):
        result = await call.gather(
            input=["digits"], num_digits=1, timeout=10, say={"text": question}
        )
        answers.append(result.digits or "-")
    await call.say(text=f"Thank you. Your answers were {' '.join(answers)}.").hangup()


@app.flow("/queue")
async def queue(call: CallFlow) -> None:
    """Hold music until an agent takes the call, then a goodbye."""
    await call.say(text="All agents are busy.", synthesizer=VOICE).enqueue(
        name="support", wait_hook="/hold"
    )
    await call.say(text="Thanks for waiting.").hangup()


@app.action_hook("/hold")
async def hold(session: Session, result: GatherCallback) -> Verbs:
    return Verbs().play(url="https://example.com/hold.mp3", loop=3)


def prompts() -> list[Say]:
    """Reusable prompt models."""
    return [
        Say(text="Please hold.", synthesizer=VOICE),
        Say(text="One moment.", synthesizer=VOICE, early_media=True),
        Say(text=["Hello!", "Hi there!", "Welcome!"]),
    ]


def announcement(text: str, loud: bool = False) -> Verbs:
    verbs = Verbs(prompts()[:1])
    if loud:
        verbs.say(text=text.upper(), synthesizer=VOICE)
    else:
        verbs.say(text=text)
    return verbs


def conference(room: str, moderator: bool) -> Verbs:
    return Verbs().conference(
        name=room,
        beep=True,
        start_conference_on_enter=moderator,
        end_conference_on_exit=moderator,
        max_participants=10,
    )


def transfer_to_sip(uri: str) -> Verbs:
    return Verbs().dial(
        target=[Target(type="sip", sip_uri=uri)],
        headers={"X-Reason": "transfer"},
        anchor_media=True,
    )


def whisper(name: str) -> Verbs:
    return Verbs().say(text=f"Incoming call for {name}.").pause(length=1)


def sms(to: str, text: str) -> Verbs:
    return Verbs().message(to=to, from_="+15085550100", text=text)


def redirect_to(path: str) -> Verbs:
    return Verbs().redirect(action_hook=path)


def tagged(data: dict[str, str]) -> Verbs:
    return Verbs().tag(data=dict(data))


def all_flows() -> list[Verbs]:
    """Every builder above, so each is type-checked with real arguments."""
    return [
        announcement("Hello"),
        announcement("Hello", loud=True),
        conference("room-1", moderator=True),
        transfer_to_sip("sip:agent@example.com"),
        whisper("Alice"),
        sms("+15085550199", "Your call was received."),
        redirect_to("/menu"),
        tagged({"campaign": "spring"}),
        ask(0),
        connect("+15085550101", "sales"),
        goodbye(),
    ]


def summary(flows: list[Verbs]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for verbs in flows:
        for item in verbs.to_wire():
            name = str(item.get("verb"))
            counts[name] = counts.get(name, 0) + 1
    return counts


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    log.info("verbs used: %s", summary(all_flows()))
    asyncio.run(serve(app, port=3000))


if __name__ == "__main__":
    main()
