"""Stable class names for the object schemas the jambonz schemas leave untitled.

datamodel-code-generator names an untitled inline object after its property
(``auth`` -> ``Auth``) and numbers the second one in a module (``Auth2``). A number is a
counter: it changes when an unrelated object appears earlier in the module, and users'
imports break. Staging therefore titles every object that becomes a class before the
generator sees it, with a name that depends only on the object's own JSON path:

* the nearest named ancestor's class name (the file's top-level class, or an inline
  object already named this way), then
* one part per path step below it: ``properties/<p>`` -> ``Pascal(p)``; ``items`` ->
  the singular of the array's name (``mcpServers`` -> ``McpServer``, else ``...Item``);
  ``additionalProperties`` -> ``...Value``; ``$defs/<k>`` -> ``Pascal(k)``; a
  ``oneOf``/``anyOf`` branch -> the ``const`` that tells the branches apart
  (``type: "turn_end"`` -> ``TurnEnd``), nothing when it is the only object branch,
  else ``Variant<i>`` (its index: still a path, never a count).

``verbs/elevenlabs_s2s#/properties/llmOptions`` becomes ``ElevenLabsS2SLlmOptions``.
A title the schema gives, or one in ``[tool.jambonz-codegen.titles]``, wins. Two
objects of one file that derive the same name are an error naming both paths and the
override to add: the generator never falls back to numbering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rules import RULES_KEY
from .schemas import pascal

__all__ = ["assign_titles", "is_class_schema"]

_SKIP = frozenset({"if", "then", "else", "not", RULES_KEY})


def is_class_schema(node: Any) -> bool:
    """True when the generator turns ``node`` into a class (an object with properties)."""
    return (
        isinstance(node, dict)
        and "$ref" not in node
        and isinstance(node.get("properties"), dict)
        and bool(node["properties"])
    )


def _singular(label: str) -> str:
    if label.endswith("ies") and len(label) > 3:
        return label[:-3] + "y"
    if label.endswith("s") and not label.endswith("ss") and len(label) > 1:
        return label[:-1]
    return label + "Item"


def _discriminator(branches: list[Any], index: int) -> str | None:
    """``Pascal(const)`` of a property every object branch pins to a distinct ``const``."""
    objects = [b for b in branches if is_class_schema(b)]
    if len(objects) < 2:
        return None
    shared = set.intersection(*(set(b["properties"]) for b in objects))
    for prop in sorted(shared):
        values = [b["properties"][prop].get("const") for b in objects]
        if all(isinstance(v, str) and v for v in values) and len(set(values)) == len(values):
            const = branches[index]["properties"][prop]["const"]
            return pascal(str(const))
    return None


def assign_titles(doc: dict[str, Any], key: str) -> dict[str, str]:
    """Title every untitled class-forming object of ``doc`` (in place).

    ``doc`` is a staged schema whose root already carries its class name as ``title``.
    Returns ``json pointer -> class name`` for every class-forming object, titled
    before or now; raises ``SystemExit`` on two objects with one name.
    """
    names: dict[str, str] = {}

    def visit(node: Any, pointer: str, prefix: str, label: str) -> None:
        if not isinstance(node, dict):
            return
        if is_class_schema(node) or pointer == "":
            if not isinstance(node.get("title"), str) or not node["title"]:
                node["title"] = prefix + (label or "Item")
            prefix, label = str(node["title"]), ""
            names[pointer] = prefix
        for word, value in node.items():
            if word in _SKIP:
                continue
            here = f"{pointer}/{word}"
            if word in ("properties", "$defs", "definitions") and isinstance(value, dict):
                for name, sub in value.items():
                    visit(sub, f"{here}/{name}", prefix, pascal(name))
            elif word == "items" and isinstance(value, dict):
                visit(value, here, prefix, _singular(label) if label else "Item")
            elif word == "additionalProperties" and isinstance(value, dict):
                visit(value, here, prefix, label + "Value")
            elif word in ("oneOf", "anyOf", "allOf") and isinstance(value, list):
                objects = sum(1 for b in value if is_class_schema(b))
                for i, sub in enumerate(value):
                    if word == "allOf" or objects < 2:
                        part = ""
                    else:
                        part = _discriminator(value, i) or f"Variant{i}"
                    visit(sub, f"{here}/{i}", prefix, label + part)

    visit(doc, "", "", "")
    _check_unique(names, key)
    return names


def _check_unique(names: Mapping[str, str], key: str) -> None:
    seen: dict[str, str] = {}
    for pointer, name in sorted(names.items()):
        if name in seen:
            raise SystemExit(
                f"codegen: {key}#{seen[name]} and {key}#{pointer} both name a class {name!r}; "
                f'add "{key}#{pointer}" = "<Name>" to [tool.jambonz-codegen.titles]'
            )
        seen[name] = pointer
