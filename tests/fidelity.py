"""Shared fixtures of the fidelity tests: schema examples, generated mutations, both validators.

The models must accept exactly what the jambonz server accepts. The server runs ajv over
the vendored schemas; here python ``jsonschema`` (Draft 2020-12, a ``referencing``
registry keyed by ``$id``) stands in for it, and tests/conformance checks the same
documents against ajv itself. Everything is deterministic: examples in schema order,
mutations enumerated and then sampled with a fixed seed.
"""

from __future__ import annotations

import copy
import importlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

from jsonschema import Draft202012Validator
from pydantic import BaseModel, JsonValue, RootModel, ValidationError
from referencing import Registry, Resource

from codegen.config import load_config
from codegen.schemas import SchemaFile, load_schemas
from codegen.schemas import class_name as schema_class_name
from jambonz_types.app import JambonzApp

__all__ = [
    "APP",
    "DELIBERATE",
    "PER_APP_DOC",
    "PER_DOC",
    "SEED",
    "Case",
    "all_cases",
    "base_cases",
    "deliberate",
    "model_class",
    "mutations",
    "ours_accepts",
    "schema_accepts",
    "schema_files",
    "to_wire",
    "validate_wire",
]

APP = "app"
"""Target name of the application root (``jambonz-app.schema.json``)."""
SEED = 20260415
"""Seed of the mutation sampler: change it and the case list changes, never silently."""
PER_DOC = 16
"""Mutations sampled per base document."""
PER_APP_DOC = 5
"""Mutations per application-level base (jsonschema's 37-way ``oneOf`` is slow)."""

Kind = Literal[
    "example",
    "wrong-type",
    "bool-for-number",
    "string-for-bool",
    "null",
    "delete",
    "extra-key",
    "bad-enum",
    "swap-enum",
    "negative",
    "fraction",
    "integral-float",
    "empty-array",
    "if-then",
]


@dataclass(frozen=True)
class Case:
    """One document and the schema (``verbs/say``, ``app``, ...) it is checked against."""

    target: str
    doc: JsonValue
    kind: Kind
    origin: str
    """Where it came from: ``verbs/say examples[0]`` plus the mutated path."""

    @property
    def group(self) -> str:
        return self.target.split("/")[0]


@cache
def schema_files() -> dict[str, SchemaFile]:
    """``group/stem`` -> vendored schema file."""
    return {f.key: f for f in load_schemas(load_config()).files}


@cache
def _app_schema() -> dict[str, JsonValue]:
    return dict(load_schemas(load_config()).app)


@cache
def _registry() -> Registry:
    resources = [
        (str(f.doc["$id"]), Resource.from_contents(f.doc)) for f in schema_files().values()
    ]
    app = _app_schema()
    resources.append((str(app["$id"]), Resource.from_contents(app)))
    return Registry().with_resources(resources)


@cache
def _validator(target: str) -> Draft202012Validator:
    schema = _app_schema() if target == APP else dict(schema_files()[target].doc)
    return Draft202012Validator(schema, registry=_registry())


def schema_accepts(case: Case) -> bool:
    """The reference verdict: python-jsonschema, Draft 2020-12, formats not asserted."""
    return bool(_validator(case.target).is_valid(case.doc))


@cache
def model_class(target: str) -> type[BaseModel] | None:
    """The generated top-level model of a schema (``None`` where the generator collapsed
    it into the fields that use it, as for ``components/actionHook``)."""
    if target == APP:
        return JambonzApp
    f = schema_files()[target]
    module = importlib.import_module(f"jambonz_types.{f.group}.{f.module}")
    found = getattr(module, schema_class_name(f, load_config()), None)
    return cast("type[BaseModel] | None", found)


def _validate(cls: type[BaseModel], doc: JsonValue) -> BaseModel:
    """Validate with the wire entry point: ``from_wire`` where the model has it."""
    from_wire = getattr(cls, "from_wire", None)
    if from_wire is not None:
        return cast("BaseModel", from_wire(doc))
    return cls.model_validate(doc, by_alias=True, by_name=False)


def ours_accepts(case: Case) -> tuple[bool, ValidationError | None]:
    """Our verdict and, on rejection, the error."""
    cls = model_class(case.target)
    assert cls is not None, f"no model for {case.target}"
    try:
        _validate(cls, case.doc)
    except ValidationError as exc:
        return False, exc
    return True, None


def to_wire(model: BaseModel) -> JsonValue:
    """The wire JSON of a validated model (``to_dict()``; root models dump by alias)."""
    to_dict = getattr(model, "to_dict", None)
    if to_dict is not None:
        return cast("JsonValue", to_dict())
    assert isinstance(model, RootModel)
    return cast("JsonValue", model.model_dump(mode="json", by_alias=True, exclude_unset=True))


def validate_wire(target: str, doc: JsonValue) -> BaseModel:
    """Validate ``doc`` against the model of ``target`` (raises ``ValidationError``)."""
    cls = model_class(target)
    assert cls is not None, f"no model for {target}"
    return _validate(cls, doc)


def base_cases() -> list[Case]:
    """Every top-level ``examples`` entry (one case each), and each verb example as an
    application of one verb, plus the app schema's own examples."""
    out: list[Case] = []
    for key, f in sorted(schema_files().items()):
        for i, example in enumerate(f.doc.get("examples", ())):
            out.append(Case(key, copy.deepcopy(example), "example", f"{key} examples[{i}]"))
            if f.group == "verbs" and key != "verbs/room":
                out.append(Case(APP, [copy.deepcopy(example)], "example", f"[{key} examples[{i}]]"))
    app_examples = _app_schema().get("examples")
    for i, example in enumerate(app_examples if isinstance(app_examples, list) else []):
        out.append(Case(APP, copy.deepcopy(example), "example", f"app examples[{i}]"))
    return out


@cache
def _enum_pool() -> dict[str, tuple[JsonValue, ...]]:
    """Property name -> every ``const``/``enum`` value the schemas give it (sorted)."""
    pool: dict[str, set[str]] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                if isinstance(sub, dict):
                    values = [sub["const"]] if "const" in sub else list(sub.get("enum", ()))
                    for v in values:
                        pool.setdefault(name, set()).add(json.dumps(v))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for f in schema_files().values():
        walk(f.doc)
    return {k: tuple(json.loads(v) for v in sorted(vs)) for k, vs in sorted(pool.items())}


Path_ = tuple[str | int, ...]


def _sites(doc: JsonValue, path: Path_ = ()) -> Iterator[tuple[Path_, JsonValue]]:
    yield path, doc
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _sites(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _sites(value, (*path, i))


def _replace(doc: JsonValue, path: Path_, fn: Callable[[JsonValue], JsonValue | None]) -> JsonValue:
    """A copy of ``doc`` with the value at ``path`` replaced (or, for ``None``, deleted)."""
    out = copy.deepcopy(doc)
    if not path:
        new = fn(out)
        return out if new is None else new
    parent: Any = out  # a dict or list, walked by the path's keys and indexes
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    new = fn(parent[last])
    if new is _DELETE:
        del parent[last]
    else:
        parent[last] = new
    return out


_DELETE: JsonValue = ["__delete__"]
_NULL: JsonValue = ["__null__"]


def _candidates(path: Path_, value: JsonValue) -> Iterator[tuple[Kind, JsonValue]]:
    """Mutations of one site: (kind, new value); ``_DELETE`` removes the key."""
    key = path[-1] if path else None
    if isinstance(key, str):
        yield "delete", _DELETE
        yield "null", _NULL
    if isinstance(value, bool):
        yield "string-for-bool", "true"
        yield "wrong-type", 1
    elif isinstance(value, (int, float)):
        yield "bool-for-number", True
        yield "wrong-type", str(value)
        yield "negative", -1
        if isinstance(value, int):
            yield "fraction", value + 0.5
            # ajv (JavaScript: one number type) reads 1024.0 as an integer.
            yield "integral-float", float(value)
    elif isinstance(value, str):
        yield "wrong-type", 42
        yield "bad-enum", "not-a-valid-value"
        if isinstance(key, str):
            for other in _enum_pool().get(key, ()):
                if other != value:
                    yield "swap-enum", other
    elif isinstance(value, list):
        yield "wrong-type", "not-an-array"
        yield "empty-array", []
    elif isinstance(value, dict):
        yield "wrong-type", "not-an-object" if path else 7
        yield "extra-key", {**value, "zzUnexpectedKey": "x"}
        yield "wrong-type", [value]


def mutations(base: Case, rng: random.Random, limit: int = PER_DOC) -> list[Case]:
    """Up to ``limit`` mutations of ``base``, sampled from all its sites with ``rng``."""
    options: list[tuple[Path_, Kind, JsonValue]] = [
        (path, kind, new)
        for path, value in _sites(base.doc)
        for kind, new in _candidates(path, value)
    ]
    by_kind: dict[Kind, list[tuple[Path_, Kind, JsonValue]]] = {}
    for option in options:
        by_kind.setdefault(option[1], []).append(option)
    # Round-robin over kinds so that no kind (``swap-enum`` has many values) crowds out
    # the others; within a kind, draw at random with the seeded ``rng``.
    pools = [rng.sample(group, len(group)) for _, group in sorted(by_kind.items())]
    picked: list[tuple[Path_, Kind, JsonValue]] = []
    while len(picked) < limit and any(pools):
        for pool in pools:
            if pool and len(picked) < limit:
                picked.append(pool.pop())
    out = []
    for path, kind, new in picked:
        value: JsonValue = None if new is _NULL else new
        doc = _replace(base.doc, path, lambda _old, v=value: v)  # type: ignore[misc]
        where = "/".join(str(p) for p in path) or "(root)"
        out.append(Case(base.target, doc, kind, f"{base.origin} {kind} at {where}"))
    return out


_TOOL_KEYS: tuple[dict[str, JsonValue], ...] = (
    {},
    {"hangup": {}},
    {"mcpServers": []},
    {"handoff": []},
)

IF_THEN: tuple[tuple[str, JsonValue], ...] = cast(
    "tuple[tuple[str, JsonValue], ...]",
    (
        # transferOptions: any disposition "voicemail" needs disposition.voicemailUrl.
        *(
            (
                "components/transferOptions",
                {
                    "mode": "blind",
                    "target": [{"type": "phone", "number": "+15551234567"}],
                    "disposition": {on: "voicemail"},
                },
            )
            for on in ("onNoAnswer", "onBusy", "onDecline", "onFailure")
        ),
        (
            "components/transferOptions",
            {
                "mode": "blind",
                "target": [{"type": "phone", "number": "+15551234567"}],
                "disposition": {"onBusy": "voicemail", "voicemailUrl": "sip:vm@example.com"},
            },
        ),
        (
            "verbs/transfer",
            {
                "verb": "transfer",
                "mode": "warm",
                "target": [{"type": "user", "name": "bob@example.com"}],
                "disposition": {"onFailure": "voicemail"},
            },
        ),
        # agent toolFiller: type "audio" needs url.
        (
            "verbs/agent",
            {"verb": "agent", "llm": {"vendor": "openai"}, "toolFiller": {"type": "audio"}},
        ),
        (
            "verbs/agent",
            {
                "verb": "agent",
                "llm": {"vendor": "openai"},
                "toolFiller": {"type": "audio", "url": "https://example.com/hold.mp3"},
            },
        ),
        ("verbs/agent", {"verb": "agent", "llm": {"vendor": "openai"}, "toolFiller": False}),
        ("verbs/agent", {"verb": "agent", "llm": {"vendor": "openai"}, "toolFiller": True}),
        # gptlive_s2s: handoff/hangup/mcpServers need a "responses" delegation.
        *(
            (
                "verbs/gptlive_s2s",
                {
                    "verb": "gptlive_s2s",
                    "auth": {"apiKey": "sk-x"},
                    "llmOptions": {"session_update": {"delegation": delegation}},
                    **extra,
                },
            )
            for delegation in (
                {"type": "client"},
                {"type": "responses"},
                {"type": "responses", "responses": {"model": "gpt-5.5"}},
                {"responses": {"model": "gpt-5.5"}},
                {"type": "responses", "responses": {"model": "gpt-5.5"}, "tools": []},
            )
            for extra in _TOOL_KEYS
        ),
        (
            "verbs/gptlive_s2s",
            {
                "verb": "gptlive_s2s",
                "auth": {"apiKey": "sk-x"},
                "llmOptions": {"session_update": {"model": "gpt-live"}},
            },
        ),
        (
            "verbs/gptlive_s2s",
            {
                "verb": "gptlive_s2s",
                "auth": {"apiKey": "sk-x"},
                "llmOptions": {"session_update": {}},
                "hangup": {},
            },
        ),
        # target.confirmHook: a string matches both oneOf branches, so only objects pass.
        (
            "components/target",
            {"type": "phone", "number": "+15551234567", "confirmHook": "/confirm"},
        ),
        (
            "components/target",
            {"type": "phone", "number": "+15551234567", "confirmHook": {"url": "/confirm"}},
        ),
        # conference/room: both verb names, and room through its own schema.
        ("verbs/conference", {"verb": "room", "name": "r1"}),
        ("verbs/conference", {"name": "r1"}),
        ("verbs/room", {"verb": "room", "name": "r1"}),
        (APP, [{"verb": "room", "name": "r1"}, {"verb": "conference", "name": "r2"}]),
        (APP, [{"name": "r1"}]),
        (APP, []),
        (APP, {"verb": "say", "text": "hi"}),
        (APP, [{"verb": "Say", "text": "hi"}]),
    ),
)
"""Hand-picked documents for the rules mutations rarely hit (both outcomes included)."""

CALLBACKS: tuple[tuple[str, Kind, JsonValue], ...] = (
    # The callback schemas carry no examples; these exercise their deliberate tolerance.
    ("callbacks/tts-streaming-event", "example", {"event_type": "stream_open"}),
    ("callbacks/tts-streaming-event", "extra-key", {"event_type": "stream_open", "seq": 1}),
    ("callbacks/tts-streaming-event", "wrong-type", {"event_type": "no_such_event"}),
    ("callbacks/gather", "example", {"call_sid": "c1", "reason": "dtmfDetected", "digits": "1"}),
    ("callbacks/gather", "null", {"call_sid": "c1", "reason": "dtmfDetected", "digits": None}),
    ("callbacks/gather", "bad-enum", {"call_sid": "c1", "reason": "not-a-valid-value"}),
    (
        "callbacks/call-status",
        "null",
        {"call_sid": "c1", "call_status": "completed", "sip_reason": None},
    ),
    ("callbacks/call-status", "wrong-type", {"call_sid": 7, "call_status": "completed"}),
    # An integer field holding an integral float: ajv accepts it, so must we (inbound).
    ("callbacks/dial", "integral-float", {"call_sid": "c1", "sip_status": 200.0}),
    ("callbacks/dial", "fraction", {"call_sid": "c1", "sip_status": 200.5}),
)
"""Callback payloads (jambonz -> app), valid and invalid, with their mutation kind."""


DELIBERATE: dict[tuple[str, str], str] = {
    ("callbacks", "null"): (
        "callback payload models accept null for optional fields: they come from the server, "
        "which blanks fields over time, and a payload must never be lost to that"
    ),
    ("callbacks", "extra-key"): (
        "callback payload models keep unknown keys even where the schema says "
        "additionalProperties: false: servers add fields over time"
    ),
}
"""(schema group, mutation kind) -> why our models accept what the schema rejects."""


def deliberate(case: Case, schema_ok: bool, ours_ok: bool) -> str | None:
    """The listed reason when our verdict differs from the schema's on purpose."""
    if ours_ok and not schema_ok:
        return DELIBERATE.get((case.group, case.kind))
    return None


def all_cases() -> list[Case]:
    """Examples, targeted rule cases and the sampled mutations, in a fixed order."""
    rng = random.Random(SEED)
    bases = [c for c in base_cases() if model_class(c.target) is not None]
    out = list(bases)
    out.extend(
        Case(t, copy.deepcopy(d), "if-then", f"rule case {i}") for i, (t, d) in enumerate(IF_THEN)
    )
    out.extend(
        Case(t, copy.deepcopy(d), k, f"callback case {i}") for i, (t, k, d) in enumerate(CALLBACKS)
    )
    for base in bases:
        out.extend(mutations(base, rng, PER_APP_DOC if base.target == APP else PER_DOC))
    return out


SCHEMAS_DIR = Path(__file__).resolve().parents[1] / "schemas"
