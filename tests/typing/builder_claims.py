"""Typing claims about the builder and the models, checked by mypy --strict (never run).

Positive cases use ``assert_type``; negative cases are calls that must stay type errors,
each silenced with the precise error code. mypy's ``warn_unused_ignores`` turns a
negative case that stops failing into an error, so the claims cannot rot silently.
``tests/typing/test_typing.py`` runs mypy on this directory as part of the test suite.
"""

from __future__ import annotations

from typing import Literal

from pydantic import JsonValue
from typing_extensions import assert_type

from jambonz_types import HOOK_PAYLOADS, HookRef, JambonzCallback, Verb, Verbs
from jambonz_types.callbacks import DialCallback, GatherCallback
from jambonz_types.components import Recognizer, Synthesizer
from jambonz_types.dicts.verbs.play import NestedPlayDict
from jambonz_types.verbs import Gather, Play, Say

__all__: list[str] = []


def positives(gather_hook: HookRef[GatherCallback], any_hook: HookRef[JambonzCallback]) -> None:
    chain = Verbs().say(text="hi").gather(input=["speech", "digits"], action_hook="/menu")
    assert_type(chain, Verbs)
    assert_type(chain.dial(target=[]).hangup(), Verbs)
    assert_type(Verbs().gather(action_hook=gather_hook), Verbs)
    # contravariant: a handler for any callback serves a gather hook
    assert_type(Verbs().gather(action_hook=any_hook), Verbs)
    assert_type(Verbs().conference(name="c", enter_hook=any_hook), Verbs)
    assert_type(Verbs().room(name="c"), Verbs)
    assert_type(Verbs().sip_decline(status=486), Verbs)
    assert_type(Verbs().say(synthesizer=Synthesizer(vendor="google")), Verbs)
    assert_type(chain.to_list(), list[Verb])
    assert_type(chain.to_wire(), list[dict[str, JsonValue]])
    assert_type(chain.to_json(), str)
    assert_type(Verbs.from_wire([]), Verbs)
    assert_type(Verbs.from_json("[]"), Verbs)
    assert_type(chain + Verbs([Say(text="x")]), Verbs)
    assert_type(len(chain), int)
    assert_type(HOOK_PAYLOADS[("gather", "actionHook")], type[JambonzCallback])
    assert_type(gather_hook.path, str)

    say = Say(text="x")
    assert_type(say.verb, Literal["say"])
    assert_type(say.early_media, bool | None)
    g = Gather()
    assert_type(g.input, list[Literal["speech", "digits"]] | None)
    assert_type(g.recognizer, Recognizer | None)
    # nested prompts take the verb model or a raw object
    assert_type(Verbs().gather(say=Say(text="Press 1"), play={"url": "x"}), Verbs)
    assert_type(Gather(play=Play(url="https://x/a.wav")).play, NestedPlayDict | Play | None)


def negatives(dial_hook: HookRef[DialCallback]) -> None:
    Verbs().say(txt="typo")  # type: ignore[call-arg]
    Verbs().gather(input=["dtmf"])  # type: ignore[list-item]
    Verbs().listen(url="wss://x", mix_type="surround")  # type: ignore[arg-type]
    Verbs().say(synthesizer=Recognizer(vendor="google"))  # type: ignore[arg-type]
    Verbs().dial()  # type: ignore[call-arg]
    Verbs().say(early_media="yes")  # type: ignore[arg-type]
    Verbs().gather(num_digits="4")  # type: ignore[arg-type]
    Verbs().gather(action_hook=dial_hook)  # type: ignore[arg-type]
    Verbs().gather(say=Play(url="x"))  # type: ignore[arg-type]
    Verbs().say("positional")  # type: ignore[call-arg]
    Verbs().append({"verb": "say"})  # type: ignore[arg-type]
