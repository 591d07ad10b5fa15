"""Typing claims about the dict forms (TypedDict twins), for mypy AND pyright (never run).

Every must-fail line carries both checkers' precise ignore: ``# type: ignore[code]`` for
mypy (``warn_unused_ignores``) and ``# pyright: ignore[rule]`` for pyright (run with
``enableTypeIgnoreComments = false`` and ``reportUnnecessaryTypeIgnoreComment``), so a
case that stops failing under either checker fails ``tests/typing/test_typing.py``.
"""

from __future__ import annotations

from typing import Literal

from typing_extensions import assert_type

from jambonz_types import Verbs
from jambonz_types.components import Synthesizer, Target
from jambonz_types.dicts import (
    GatherDict,
    NestedListenDict,
    NestedSayDict,
    SayDict,
    SynthesizerDict,
    TargetDict,
)
from jambonz_types.verbs import Dial, Gather, Say

__all__: list[str] = []


def positives() -> None:
    # The dict form and the model form of the same nested prompt.
    assert_type(Verbs().gather(say={"text": "Press 1"}), Verbs)
    assert_type(Verbs().gather(say=Say(text="Press 1")), Verbs)
    prompt: NestedSayDict = {"text": "Hi", "synthesizer": {"vendor": "google", "language": "en-US"}}
    assert_type(Verbs().gather(say=prompt, input=["digits"]), Verbs)
    # Models and their twins mix freely, also inside lists.
    assert_type(Verbs().say(text="x", synthesizer={"vendor": "google"}), Verbs)
    assert_type(Verbs().say(text="x", synthesizer=Synthesizer(vendor="google")), Verbs)
    targets: list[Target] = [Target(type="phone", number="+15085551212")]
    assert_type(Verbs().dial(target=targets), Verbs)
    assert_type(Verbs().dial(target=[{"type": "phone", "number": "+15085551212"}]), Verbs)
    assert_type(
        Verbs().dial(
            target=[{"type": "sip", "sipUri": "sip:a@b"}, Target(type="user", name="bob")],
            listen={"url": "wss://x/audio", "mixType": "stereo"},
            action_hook={"url": "/dial-done", "method": "GET"},
        ),
        Verbs,
    )
    # Wire (camelCase) keys, Literal enums, Required keys.
    say: SayDict = {"verb": "say", "text": "Hi", "earlyMedia": True}
    assert_type(say["text"], str | list[str])
    target: TargetDict = {"type": "phone", "number": "1", "from": {"user": "alice"}}
    assert_type(target["type"], Literal["phone", "sip", "user", "teams"])
    synth: SynthesizerDict = {"vendor": "google"}
    assert_type(synth.get("language"), str | None)
    gather: GatherDict = {"input": ["speech", "digits"], "say": {"text": "x"}}
    assert_type(gather.get("input"), list[Literal["speech", "digits"]] | None)
    listen: NestedListenDict = {"url": "wss://x"}
    assert_type(Verbs().config(listen=listen), Verbs)


def negatives() -> None:
    # A typo in a dict literal, top level and nested.
    Verbs().gather(say={"txt": "Press 1"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Verbs().say(text="x", synthesizer={"vendr": "google"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Verbs().gather(say={"text": "Hi", "synthesizer": {"engine": "turbo"}})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Verbs().dial(target=[{"type": "phone", "number": "1"}], listen={"ulr": "wss://x"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    # A wrong Literal inside a dict.
    Verbs().dial(target=[{"type": "phne", "number": "1"}])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    Verbs().say(text="x", synthesizer={"vendor": "google", "engine": "turbo"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    # A missing required key in a dict.
    Verbs().dial(target=[{"number": "1"}])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    Verbs().play(url="x", action_hook={"method": "GET"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    # A wrong nested dict shape / value type.
    Verbs().gather(say={"text": "Hi", "synthesizer": "google"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Verbs().dial(target=[{"type": "phone", "number": 15085551212}])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    Verbs().config(listen={"url": "wss://x", "mixType": "surround"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    bad_say: SayDict = {"text": "x", "earlyMedia": "yes"}  # type: ignore[typeddict-item]  # pyright: ignore[reportAssignmentType]
    bad_target: TargetDict = {"type": "phone", "number": "1", "from": "alice"}  # type: ignore[typeddict-item]  # pyright: ignore[reportAssignmentType]
    typo: SayDict = {"txt": "x"}  # type: ignore[typeddict-unknown-key]  # pyright: ignore[reportAssignmentType]
    no_type: TargetDict = {"number": "1"}  # type: ignore[typeddict-item]  # pyright: ignore[reportAssignmentType]
    del bad_say, bad_target, typo, no_type


def model_constructors() -> None:
    # The models' own constructors take the twins too (attributes keep the model types).
    dial = Dial(target=[{"type": "phone", "number": "1"}], action_hook={"url": "/done"})
    assert_type(dial.target, list[Target])
    assert_type(Say(text="x", synthesizer={"vendor": "google"}).synthesizer, Synthesizer | None)
    assert_type(Gather(say={"text": "Press 1"}).say, NestedSayDict | Say | None)
    Dial(target=[{"type": "phne", "number": "1"}])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    Say(text="x", synthesizer={"vendr": "google"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Gather(say={"txt": "Press 1"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Target(number="1")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
