"""Every ``examples`` entry of every schema validates with our models and round-trips.

Round-trip means the wire JSON we produce (``to_dict()``) equals the example exactly:
same keys, no added nulls or defaults, ``30`` stays an int and ``0.5`` a float.
Top-level examples go through the wire entry points (``Model.from_wire``, the
application root, ``verb_adapter``); property examples go through the type of the field
that the property became, wherever the schema path maps to a model field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, cast, get_args

import pytest
from pydantic import BaseModel, JsonValue, TypeAdapter

from jambonz_types.app import JambonzApp, verb_adapter
from tests.fidelity import Case, base_cases, model_class, schema_files, to_wire, validate_wire

EXAMPLES = base_cases()


def _exact(value: JsonValue) -> str:
    """JSON text that tells ``1`` from ``1.0`` and ``true`` from ``1``."""
    return json.dumps(value, sort_keys=True)


@pytest.mark.parametrize("case", EXAMPLES, ids=[c.origin for c in EXAMPLES])
def test_top_level_example_round_trips(case: Case) -> None:
    model = validate_wire(case.target, case.doc)
    assert _exact(to_wire(model)) == _exact(case.doc)


def test_examples_cover_every_verb_and_the_app() -> None:
    verbs = {c.target for c in EXAMPLES if c.group == "verbs"}
    # Every verb schema that has examples is covered (the number follows schemas/).
    assert verbs == {
        k for k, f in schema_files().items() if f.group == "verbs" and f.doc.get("examples")
    }
    assert verbs
    assert sum(1 for c in EXAMPLES if c.target == "app") >= len(verbs)


@pytest.mark.parametrize(
    "case", [c for c in EXAMPLES if c.target == "app" and isinstance(c.doc, list)][:80]
)
def test_verb_adapter_round_trips_each_verb(case: Case) -> None:
    assert isinstance(case.doc, list)
    for verb in case.doc:
        model = verb_adapter.validate_python(verb, by_alias=True, by_name=False)
        assert _exact(model.to_dict()) == _exact(verb)
    app = JambonzApp.model_validate(case.doc, by_alias=True, by_name=False)
    assert _exact(app.model_dump(mode="json", by_alias=True, exclude_unset=True)) == _exact(
        case.doc
    )


def _model_of(annotation: object) -> type[BaseModel] | None:
    """The one model class an (optional) field annotation holds, if it holds exactly one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    found = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    return found[0] if len(found) == 1 else None


def _property_examples() -> Iterator[tuple[str, type[BaseModel], str, JsonValue]]:
    """(origin, model, wire key, example) for each property example that maps to a field."""

    def walk(
        schema: dict[str, JsonValue], cls: type[BaseModel], where: str
    ) -> Iterator[tuple[str, type[BaseModel], str, JsonValue]]:
        props = schema.get("properties")
        if not isinstance(props, dict):
            return
        by_wire = {
            (info.validation_alias if isinstance(info.validation_alias, str) else name): name
            for name, info in cls.model_fields.items()
        }
        for key, sub in props.items():
            if not isinstance(sub, dict) or key not in by_wire:
                continue
            examples = sub.get("examples")
            for i, example in enumerate(examples if isinstance(examples, list) else ()):
                yield f"{where}.{key} examples[{i}]", cls, key, example
            inner = _model_of(cls.model_fields[by_wire[key]].annotation)
            if inner is not None:
                yield from walk(sub, inner, f"{where}.{key}")

    for key, f in sorted(schema_files().items()):
        cls = model_class(key)
        if cls is not None and "properties" in f.doc:
            yield from walk(dict(f.doc), cls, key)


PROPERTY_EXAMPLES = list(_property_examples())


@pytest.mark.parametrize(
    ("cls", "key", "example"),
    [(c, k, e) for _, c, k, e in PROPERTY_EXAMPLES],
    ids=[o for o, *_ in PROPERTY_EXAMPLES],
)
def test_property_example_validates_and_round_trips(
    cls: type[BaseModel], key: str, example: JsonValue
) -> None:
    name = next(
        n
        for n, info in cls.model_fields.items()
        if (info.validation_alias if isinstance(info.validation_alias, str) else n) == key
    )
    info = cls.model_fields[name]
    # The field's constraints (min_length, ge, ...) are its FieldInfo metadata.
    args = (info.annotation, *info.metadata)
    annotated: object = Annotated[args] if info.metadata else info.annotation
    adapter: TypeAdapter[object] = TypeAdapter(cast("type[object]", annotated))
    value = adapter.validate_python(example, by_alias=True, by_name=False)
    dumped = adapter.dump_python(value, mode="json", by_alias=True, exclude_unset=True)
    assert _exact(dumped) == _exact(example)


def test_property_examples_are_found() -> None:
    assert len(PROPERTY_EXAMPLES) >= 140
